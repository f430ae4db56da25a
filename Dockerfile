# Build: the shaded jar. The browser libraries are already vendored under
# src/main/resources/webroot/vendor, so this stage needs no Node.
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml ./
COPY conf ./conf
COPY src ./src
RUN mvn -B package -DskipTests

# Run: one image for every role (server, worker, agent, migrate); ffmpeg is for the agent.
FROM eclipse-temurin:17-jre
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home-dir /app --shell /usr/sbin/nologin ltm
WORKDIR /app
COPY --from=build /src/target/ltm.jar /app/ltm.jar
USER ltm
# Left to itself the JVM picks the Serial collector in a container with fewer than 2 CPUs or under 1792 MB, and a
# heap of a quarter of its memory: G1 (short pauses, which a socket's event -> frame latency feels) and three
# quarters. Override with JAVA_TOOL_OPTIONS.
ENV JAVA_TOOL_OPTIONS="-XX:+UseG1GC -XX:MaxRAMPercentage=75"
EXPOSE 8080
ENTRYPOINT ["java","-jar","/app/ltm.jar"]
CMD ["server"]

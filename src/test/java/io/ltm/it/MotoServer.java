package io.ltm.it;

import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2AsyncClient;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ssm.SsmAsyncClient;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real EC2 (and SSM) API peer for tests: {@code moto_server} (Python moto, from the machine image — it cannot be
 * installed from a registry) on a free loopback port, started per test class and stopped after, even when the JVM
 * dies. Tests reach it through the production SDK clients with only the endpoint, the region and static test
 * credentials changed; the credentials come through the SDK's default provider chain (the failsafe JVM's
 * environment, see pom.xml).
 */
public final class MotoServer implements AutoCloseable {
  public static final String REGION = "us-east-1";
  private final Process process;
  private final int port;
  private final Thread reaper;
  private final Path log;

  private MotoServer(Process process, int port, Path log) {
    this.process = process;
    this.port = port;
    this.log = log;
    this.reaper = new Thread(this::kill, "moto-server-reaper");
    Runtime.getRuntime().addShutdownHook(reaper);
  }

  /**
   * Starts moto_server with AMI validation on, so an unknown image gets EC2's own InvalidAMIID.NotFound.
   * Fails at once with what to do when moto_server is not on PATH.
   */
  public static MotoServer start() throws IOException, InterruptedException {
    Path binary = onPath("moto_server");
    if (binary == null) {
      throw new IllegalStateException("moto_server is not on PATH: the EC2 tests need Python moto 5.2.1's "
        + "moto_server (part of this machine's image; it cannot be installed from a registry here). PATH="
        + System.getenv("PATH"));
    }
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path log = Files.createTempFile("moto-server-", ".log");
    ProcessBuilder builder = new ProcessBuilder(binary.toString(), "-H", "127.0.0.1", "-p", String.valueOf(port))
      .redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().put("MOTO_ENABLE_AMI_VALIDATION", "true");
    MotoServer moto = new MotoServer(builder.start(), port, log);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!answers(port)) {
      if (!moto.process.isAlive() || System.nanoTime() > deadline) {
        String out = Files.readString(log);
        moto.close();
        throw new IllegalStateException("moto_server did not start on port " + port + ":\n" + out);
      }
      TimeUnit.MILLISECONDS.sleep(100);
    }
    return moto;
  }

  public int port() {
    return port;
  }

  public String endpoint() {
    return "http://127.0.0.1:" + port;
  }

  /** A client of the test's own (not LTM's) for arranging and checking what the peer holds. */
  public Ec2AsyncClient ec2() {
    return ec2(endpoint());
  }

  public static Ec2AsyncClient ec2(String endpoint) {
    ensureCredentials();
    return Ec2AsyncClient.builder().region(Region.of(REGION)).endpointOverride(URI.create(endpoint))
      .credentialsProvider(DefaultCredentialsProvider.builder().build()).build();
  }

  public SsmAsyncClient ssm() {
    ensureCredentials();
    return SsmAsyncClient.builder().region(Region.of(REGION)).endpointOverride(URI.create(endpoint())).build();
  }

  /** What a test's LTM needs to launch into this peer: subnets in two zones, a security group, an image by SSM. */
  public Map<String, String> ltmEnvironment(String endpoint) {
    try (Ec2AsyncClient ec2 = ec2()) {
      List<String> subnets = ec2.describeSubnets(r -> r.filters(Filter.builder().name("default-for-az").values("true")
          .build())).join().subnets().stream()
        .sorted((a, b) -> a.availabilityZone().compareTo(b.availabilityZone()))
        .map(s -> s.subnetId()).limit(2).toList();
      String group = ec2.describeSecurityGroups(r -> r.filters(Filter.builder().name("group-name").values("default")
        .build())).join().securityGroups().get(0).groupId();
      String ami = ec2.describeImages(r -> r.owners("amazon")).join().images().stream()
        .filter(i -> "x86_64".equals(i.architectureAsString())).findFirst().orElseThrow().imageId();
      String parameter = "/ltm/test/agent-ami";
      try (SsmAsyncClient ssm = ssm()) {
        ssm.putParameter(r -> r.name(parameter).value(ami).type("String").overwrite(true)).join();
      }
      return Map.of("LTM_CLOUD_PROVIDER", "ec2", "LTM_EC2_ENDPOINT", endpoint, "LTM_EC2_REGION", REGION,
        "LTM_EC2_IMAGE", parameter, "LTM_EC2_SUBNETS", String.join(",", subnets), "LTM_EC2_SECURITY_GROUPS", group);
    }
  }

  /**
   * The failsafe JVM gets test credentials in its environment (pom.xml); a test started some other way gets them
   * as the system properties the same default chain reads first.
   */
  static void ensureCredentials() {
    if (System.getenv("AWS_ACCESS_KEY_ID") == null && System.getProperty("aws.accessKeyId") == null) {
      System.setProperty("aws.accessKeyId", "ltm-test");
      System.setProperty("aws.secretAccessKey", "ltm-test");
    }
  }

  private static boolean answers(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static Path onPath(String name) {
    String path = System.getenv("PATH");
    if (path == null) {
      return null;
    }
    for (String dir : path.split(File.pathSeparator)) {
      Path candidate = Path.of(dir, name);
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    return null;
  }

  private void kill() {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    kill();
    try {
      Runtime.getRuntime().removeShutdownHook(reaper);
    } catch (IllegalStateException shuttingDown) {
      // The hook runs anyway.
    }
    try {
      Files.deleteIfExists(log);
    } catch (IOException ignored) {
      // A temp file.
    }
  }
}

package io.ltm;

import com.tngtech.archunit.core.domain.JavaCall;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import io.ltm.agent.FfmpegCommand;
import io.ltm.agent.FfmpegProgress;

import java.util.concurrent.TimeUnit;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.assignableTo;
import static com.tngtech.archunit.core.domain.properties.HasName.Predicates.name;
import static com.tngtech.archunit.core.domain.properties.HasOwner.Predicates.With.owner;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/**
 * Keeps the plain-Java parts plain (STYLE.md, convention 9): the domain and the ffmpeg command line and
 * progress parser can be read and tested without Vert.x, and nothing blocks an event loop with a sleep.
 * The ArchUnit JUnit engine (archunit-junit5 1.4.1) runs fine on JUnit Platform 6.
 */
@AnalyzeClasses(packages = "io.ltm", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

  @ArchTest
  static final ArchRule domainDoesNotDependOnVertx = noClasses()
    .that().resideInAPackage("io.ltm..domain..")
    .should().dependOnClassesThat().resideInAPackage("io.vertx..")
    .because("the state machines are plain Java, tested without an event loop");

  @ArchTest
  static final ArchRule domainDependsOnNoOtherLtmCode = noClasses()
    .that().resideInAPackage("io.ltm..domain..")
    .should().dependOnClassesThat(resideInAPackage("io.ltm..").and(not(resideInAPackage("io.ltm..domain.."))))
    .because("the domain is the core: services, repositories and endpoints depend on it, not the other way");

  @ArchTest
  static final ArchRule ffmpegCommandAndProgressDoNotDependOnVertx = noClasses()
    .that().belongToAnyOf(FfmpegCommand.class, FfmpegProgress.class)
    .should().dependOnClassesThat().resideInAPackage("io.vertx..")
    .because("building ffmpeg's arguments and reading its progress are pure functions of text");

  /**
   * {@code TimeUnit.sleep} is {@code Thread.sleep} by another name, so both count. ProcessGroups waits for
   * a killed process group to exit; it is documented as blocking and only called inside executeBlocking.
   */
  @ArchTest
  static final ArchRule nothingSleepsOutsideProcessGroups = noClasses()
    .that().doNotHaveFullyQualifiedName("io.ltm.cloud.ProcessGroups")
    // `ltm pool drain` polls from a CLI's main thread: no Vert.x runs in that process.
    .and().doNotHaveFullyQualifiedName("io.ltm.pool.PoolCommand")
    .should().callMethodWhere(JavaCall.Predicates.target(name("sleep"))
      .and(JavaCall.Predicates.target(owner(assignableTo(Thread.class).or(assignableTo(TimeUnit.class))))))
    .because("a sleep on an event loop stalls every request it serves; use vertx.setTimer");

  /**
   * A host name in customer input must never reach a resolver: a lookup blocks the event loop it runs on and
   * lets input trigger DNS queries. Addresses are parsed as literals ({@code Cidr.parseAddress}).
   */
  @ArchTest
  static final ArchRule nothingResolvesNames = noClasses()
    .should().callMethodWhere(JavaCall.Predicates.target(name("getByName").or(name("getAllByName")))
      .and(JavaCall.Predicates.target(owner(assignableTo(java.net.InetAddress.class)))))
    .because("parsing an address must not become a DNS query (issue 11); use Cidr.parseAddress for literals");
}

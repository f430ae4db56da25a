package io.ltm.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bad ec2 configuration stops {@code ltm worker} at start, exit code 1, with one line naming the key and its
 * variable: checked before anything starts (region, subnets, image id), or while the provider gets ready (an SSM
 * parameter that does not exist in the EC2 peer).
 */
class Ec2ConfigIT {
  static MotoServer moto;
  static Map<String, String> good;

  @BeforeAll
  static void peer() throws Exception {
    moto = MotoServer.start();
    good = TestEnv.environment(moto.ltmEnvironment(moto.endpoint()));
  }

  @AfterAll
  static void stop() {
    if (moto != null) {
      moto.close();
    }
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource(delimiter = ';', value = {
    "LTM_EC2_REGION;mars-north-1;ec2.region (LTM_EC2_REGION): 'mars-north-1' is not an AWS region",
    "LTM_EC2_SUBNETS;'';ec2.subnets (LTM_EC2_SUBNETS): is empty",
    "LTM_EC2_IMAGE;ami-12345;ec2.image (LTM_EC2_IMAGE): 'ami-12345' is neither an AMI id",
    "LTM_EC2_IMAGE;/ltm/no/such/parameter;ec2.image (LTM_EC2_IMAGE): cannot read SSM parameter /ltm/no/such/parameter"})
  void badValueStopsTheWorkerWithOneLineNamingTheKey(String variable, String value, String expected) throws Exception {
    Map<String, String> env = new HashMap<>(good);
    env.put(variable, value);
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder builder = new ProcessBuilder(java, "-cp", System.getProperty("ltm.agent.classpath"), "io.ltm.Main",
      "worker").redirectOutput(ProcessBuilder.Redirect.DISCARD);
    builder.environment().putAll(env);
    Process worker = PrivateProcesses.spawn(builder);
    try {
      assertThat(worker.waitFor(90, TimeUnit.SECONDS)).as("the worker gave up").isTrue();
      String stderr = new String(worker.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(worker.exitValue()).isEqualTo(1);
      List<String> lines = stderr.lines().filter(l -> l.contains("invalid configuration")).toList();
      assertThat(lines).as(stderr).singleElement().asString().contains(expected).doesNotContain("Exception");
      assertThat(stderr).as("no stack trace").doesNotContain("\tat ");
    } finally {
      worker.destroyForcibly();
    }
  }
}

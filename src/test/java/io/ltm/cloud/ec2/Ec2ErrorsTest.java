package io.ltm.cloud.ec2;

import io.ltm.cloud.ec2.Ec2Errors.Decision;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

class Ec2ErrorsTest {

  @ParameterizedTest(name = "{0} spot={1} -> {2}")
  @CsvSource({
    "InsufficientInstanceCapacity, false, NEXT_OPTION",
    "InsufficientInstanceCapacity, true, ON_DEMAND",
    "Unsupported, false, NEXT_OPTION",
    "SpotMaxPriceTooLow, true, ON_DEMAND",
    "MaxSpotInstanceCountExceeded, true, ON_DEMAND",
    "RequestLimitExceeded, false, RETRY_LATER",
    "RequestLimitExceeded, true, RETRY_LATER",
    "InternalError, false, RETRY_LATER",
    "IdempotentParameterMismatch, false, ADOPT",
    "UnauthorizedOperation, false, REFUSE",
    "UnauthorizedOperation, true, REFUSE",
    "InvalidAMIID.NotFound, false, REFUSE",
    "InvalidAMIID.Malformed, false, REFUSE",
    "InvalidSubnetID.NotFound, false, REFUSE",
    "InvalidParameterValue, false, REFUSE",
    "VcpuLimitExceeded, false, REFUSE"})
  void eachErrorIsADecision(String code, boolean spot, Decision expected) {
    assertThat(Ec2Errors.decide(code, spot)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = ';', value = {
    "UnauthorizedOperation;;not allowed to start transcoder machines",
    "InvalidAMIID.NotFound;;image does not exist",
    "InvalidSubnetID.NotFound;;subnet",
    "InvalidParameterValue;Invalid BASE64 encoding of user data.;user-data",
    "VcpuLimitExceeded;;limit of running machines"})
  void refusalsReadPlainlyAndKeepEc2sCode(String code, String message, String words) {
    assertThat(Ec2Errors.plainReason(code, message)).contains(words).endsWith("(EC2 " + code + ")");
  }
}

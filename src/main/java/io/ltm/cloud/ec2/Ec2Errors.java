package io.ltm.cloud.ec2;

import java.util.Set;

/**
 * What LTM does about each EC2 error of a launch: a decision, never a blind retry. Capacity moves to the next
 * zone, then the next instance type; spot capacity moves to on-demand; throttling and EC2's own faults are retried
 * later through the job (with back-off); everything else — permissions, unknown image or subnet, bad user-data,
 * account limits — fails the stream at once with a reason a customer can read.
 */
final class Ec2Errors {

  enum Decision {
    /** Same instance type and subnet, on-demand instead of spot. */
    ON_DEMAND,
    /** The next subnet (zone), then the next allowed instance type. */
    NEXT_OPTION,
    /** A passing fault: fail this attempt, the job retries it after a back-off. */
    RETRY_LATER,
    /** An instance may already exist for this token: look it up by tag and adopt it. */
    ADOPT,
    /** No retry will help: the stream fails now. */
    REFUSE
  }

  private static final Set<String> CAPACITY = Set.of("InsufficientInstanceCapacity", "InsufficientCapacity",
    "InsufficientHostCapacity", "InsufficientReservedInstanceCapacity", "InsufficientCapacityOnHost",
    // "Your requested instance type is not supported in your requested Availability Zone": another zone may have it.
    "Unsupported");
  private static final Set<String> SPOT_ONLY = Set.of("SpotMaxPriceTooLow", "MaxSpotInstanceCountExceeded",
    "InsufficientSpotCapacity");
  private static final Set<String> PASSING = Set.of("RequestLimitExceeded", "Throttling", "ThrottlingException",
    "RequestThrottled", "ServiceUnavailable", "Unavailable", "InternalError", "InternalFailure", "RequestTimeout",
    "RequestExpired");
  private static final Set<String> ALREADY_DONE = Set.of("IdempotentParameterMismatch", "IdempotentInstanceTerminated");

  private Ec2Errors() {
  }

  /** @param code EC2's error code, null when no answer came (connection refused, timeout) */
  static Decision decide(String code, boolean spot) {
    if (code == null || PASSING.contains(code)) {
      return Decision.RETRY_LATER;
    }
    if (CAPACITY.contains(code)) {
      return spot ? Decision.ON_DEMAND : Decision.NEXT_OPTION;
    }
    if (SPOT_ONLY.contains(code)) {
      return spot ? Decision.ON_DEMAND : Decision.REFUSE;
    }
    if (ALREADY_DONE.contains(code)) {
      return Decision.ADOPT;
    }
    return Decision.REFUSE;
  }

  static boolean isCapacity(String code) {
    return code != null && CAPACITY.contains(code);
  }

  /** The stream's failure reason for a refused launch: what happened in plain words, EC2's code in brackets. */
  static String plainReason(String code, String message) {
    String what;
    if (code == null) {
      what = "the cloud did not answer";
    } else if (code.equals("UnauthorizedOperation") || code.equals("AuthFailure") || code.startsWith("Blocked")
      || code.equals("OptInRequired") || code.equals("PendingVerification")) {
      what = "the cloud account is not allowed to start transcoder machines; the operator must grant it";
    } else if (code.startsWith("InvalidAMIID")) {
      what = "the transcoder machine image does not exist or cannot be used";
    } else if (code.startsWith("InvalidSubnetID") || code.startsWith("InvalidSubnet")) {
      what = "a network (subnet) configured for transcoder machines does not exist";
    } else if (code.startsWith("InvalidGroup") || code.startsWith("InvalidSecurityGroup")) {
      what = "a security group configured for transcoder machines does not exist";
    } else if (code.startsWith("InvalidKeyPair")) {
      what = "the SSH key pair configured for transcoder machines does not exist";
    } else if (code.startsWith("InvalidUserData") || (message != null && message.toLowerCase().contains("user data"))) {
      what = "the cloud refused the transcoder machine's start-up script (user-data)";
    } else if (code.equals("InstanceLimitExceeded") || code.equals("VcpuLimitExceeded")
      || code.equals("MaxSpotInstanceCountExceeded")) {
      what = "the cloud account reached its limit of running machines";
    } else if (code.startsWith("InvalidInstanceType") || code.equals("InvalidParameterValue")
      || code.equals("InvalidParameterCombination") || code.equals("InvalidParameter")) {
      what = "the cloud refused the transcoder machine's settings";
    } else {
      what = "the cloud refused to start the transcoder machine";
    }
    return what + " (EC2 " + (code == null ? "no answer" : code) + ")";
  }
}

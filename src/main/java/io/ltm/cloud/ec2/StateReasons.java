package io.ltm.cloud.ec2;

/**
 * EC2's own reason for an instance that stopped, ended or failed its checks, in words a customer reads in a
 * FAILED stream's {@code stateReason}; EC2's code stays in brackets for the operator.
 */
final class StateReasons {
  private StateReasons() {
  }

  /**
   * @param state   EC2's state name ({@code terminated}, {@code stopped}, …)
   * @param code    {@code StateReason.Code} (e.g. {@code Client.UserInitiatedShutdown}), may be null
   * @param message {@code StateReason.Message}, may be null
   */
  static String ended(String instanceId, String state, String code, String message) {
    String verb = switch (state) {
      case "stopping", "stopped" -> "stopped";
      case "shutting-down", "terminated" -> "was terminated";
      default -> "is " + state;
    };
    return "the transcoder machine (EC2 instance " + instanceId + ") " + verb + ": " + why(code, message);
  }

  static String impaired(String instanceId, String instanceStatus, String systemStatus) {
    return "the transcoder machine (EC2 instance " + instanceId + ") failed EC2's status checks (instance "
      + instanceStatus + ", system " + systemStatus + ")";
  }

  private static String why(String code, String message) {
    String plain = code == null ? null : switch (code) {
      case "Client.UserInitiatedShutdown" -> "it was stopped or terminated from outside LTM (console, API or CLI)";
      case "Client.InstanceInitiatedShutdown" -> "it shut itself down";
      case "Client.UserInitiatedHibernate" -> "it was hibernated from outside LTM";
      case "Server.SpotInstanceTermination", "Server.SpotInstanceShutdown" -> "EC2 took back its spot capacity";
      case "Server.InsufficientInstanceCapacity" -> "EC2 had no capacity left for it";
      case "Server.ScheduledStop" -> "EC2 retired the hardware it ran on";
      case "Server.InternalError", "Client.InternalError" -> "EC2 failed to keep it running (internal error)";
      case "Client.VolumeLimitExceeded" -> "the account's volume limit was reached";
      case "Client.InvalidSnapshot.NotFound" -> "its image's snapshot no longer exists";
      default -> null;
    };
    if (plain == null) {
      return message == null || message.isBlank() ? "EC2 gave no reason" : message;
    }
    return plain + " (" + code + ")";
  }
}

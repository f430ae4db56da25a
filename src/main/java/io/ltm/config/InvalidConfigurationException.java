package io.ltm.config;

/**
 * A configuration value LTM cannot run with. Its message is one line naming the key and the variable that sets
 * it, so an operator reading the start-up failure knows exactly what to change.
 */
public class InvalidConfigurationException extends RuntimeException {
  private final String key;

  public InvalidConfigurationException(String key, String problem) {
    super("invalid configuration: " + key + describeVariable(key) + ": " + problem);
    this.key = key;
  }

  public String key() {
    return key;
  }

  private static String describeVariable(String key) {
    String variable = LtmConfig.variableFor(key);
    return variable == null ? "" : " (" + variable + ")";
  }
}

package io.ltm.it;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A start job that can never succeed — here the machine's work folder cannot be created — is retried with
 * back-off, dead-lettered by the broker after its delivery limit, and its stream FAILS with a plain reason.
 */
class DeadLetterIT extends LtmTestBase {

  @BeforeAll
  static void deployWithAnUnusableMachineFolder() throws Exception {
    redeploy(Map.of("LTM_AGENT_WORK_DIR", "/proc/ltm-cannot-create-this"));
  }

  @Test
  void startThatKeepsFailingIsDeadLetteredAndTheStreamFailsWithAReason() {
    ApiClient api = api(newAccountKey("dead-letter"));
    String id = buy(api, "mobile", "test-pattern").getString("id");
    assertThat(api.post("/api/v1/streams/" + id + "/start", null).status()).isEqualTo(202);

    JsonObject failed = awaitState(api, id, "FAILED", Duration.ofSeconds(60));
    assertThat(failed.getString("stateReason")).contains("could not be started").doesNotContain("/proc");
    assertThat(count("SELECT COUNT(*) FROM jobs WHERE subject_id = '" + id + "' AND step = 'dead'")).isEqualTo(1);
    assertThat(count("SELECT MAX(attempts) FROM jobs WHERE subject_id = '" + id + "'")).isGreaterThanOrEqualTo(5);
    // The customer can try again once the cause is fixed.
    assertThat(failed.getJsonArray("allowedActions")).contains("start");
  }
}

package io.ltm.cloud;

import io.ltm.cloud.domain.MachineState;
import io.vertx.sqlclient.Row;

public record Machine(String id, String streamId, String accountId, int generation, String provider,
                      String providerRef, MachineState state, String agentTokenHash) {

  static final String COLUMNS =
    "id, stream_id, account_id, generation, provider, provider_ref, state, agent_token_hash";

  static Machine fromRow(Row row) {
    return new Machine(row.getString("id"), row.getString("stream_id"), row.getString("account_id"),
      row.getInteger("generation"), row.getString("provider"), row.getString("provider_ref"),
      MachineState.valueOf(row.getString("state")), row.getString("agent_token_hash"));
  }
}

package io.ltm.cloud;

import io.ltm.cloud.domain.MachineState;
import io.vertx.sqlclient.Row;

import java.util.stream.Stream;

/**
 * One machine row. A warm machine (booted for a pool, {@code poolClass} set) has no stream and no account until a
 * start claims it; {@code parked} is true while a stopped-tier machine is stopped.
 */
public record Machine(String id, String streamId, String accountId, int generation, String provider,
                      String providerRef, MachineState state, String agentTokenHash,
                      String poolClass, String warmTier, boolean parked) {

  public Machine(String id, String streamId, String accountId, int generation, String provider, String providerRef,
                 MachineState state, String agentTokenHash) {
    this(id, streamId, accountId, generation, provider, providerRef, state, agentTokenHash, null, null, false);
  }

  static final String COLUMNS = columns("");

  /**
   * What {@link #fromRow} reads, each column prefixed (e.g. {@code "m."} in a join): one list for every query, so a
   * column added here reaches them all.
   */
  static String columns(String prefix) {
    return String.join(", ", Stream.of("id", "stream_id", "account_id", "generation", "provider",
      "provider_ref", "state", "agent_token_hash", "pool_class", "warm_tier").map(c -> prefix + c).toList())
      + ", " + prefix + "stopped_at IS NOT NULL AS parked";
  }

  /** A warm machine waiting for a start: no stream yet. */
  public boolean idle() {
    return poolClass != null && streamId == null;
  }

  static Machine fromRow(Row row) {
    Object parked = row.getValue("parked");
    return new Machine(row.getString("id"), row.getString("stream_id"), row.getString("account_id"),
      row.getInteger("generation"), row.getString("provider"), row.getString("provider_ref"),
      MachineState.valueOf(row.getString("state")), row.getString("agent_token_hash"),
      row.getString("pool_class"), row.getString("warm_tier"), parked != null && ((Number) parked).intValue() == 1);
  }
}

-- Warm pools: machines booted ahead of any stream. A warm machine has no stream and no account until a start claims
-- it (stream_id, account_id and generation are then set, once: it serves that one start and is terminated after).
ALTER TABLE machines
  MODIFY stream_id  VARCHAR(32) NULL,
  MODIFY account_id VARCHAR(32) NULL,
  -- The pool it was launched for (an offer's machine class); NULL for a machine launched for one stream (cold).
  ADD COLUMN pool_class   VARCHAR(64)  NULL,
  -- running: booted and waiting; stopped: booted once, then stopped (EC2 StopInstances) until claimed.
  ADD COLUMN warm_tier    VARCHAR(16)  NULL,
  -- When it became idle (registered with no stream), for the pool's idle time-to-live.
  ADD COLUMN idle_since   TIMESTAMP(3) NULL,
  -- Set while a stopped-tier machine is stopped (it sends no heartbeat then); cleared when it is resumed.
  ADD COLUMN stopped_at   TIMESTAMP(3) NULL,
  -- How the stream's start was served: cold, warm or warm-stopped; and when the agent received its pipeline.
  ADD COLUMN start_kind   VARCHAR(16)  NULL,
  ADD COLUMN assigned_at  TIMESTAMP(3) NULL,
  ADD COLUMN pipeline_at  TIMESTAMP(3) NULL,
  ADD KEY idx_machines_pool (provider, pool_class, state, warm_tier);

-- What an operator changed at run time (ltm pool set/drain); NULL columns take the configured value. The row is
-- also what pool keepers of several workers lock to size a pool one at a time.
CREATE TABLE pool_settings (
  provider         VARCHAR(16)   NOT NULL,
  pool_class       VARCHAR(64)   NOT NULL,
  min_idle         INT           NULL,
  max_idle         INT           NULL,
  stopped_idle     INT           NULL,
  idle_ttl_seconds INT           NULL,
  max_hourly_usd   DECIMAL(10,4) NULL,
  updated_at       TIMESTAMP(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (provider, pool_class)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

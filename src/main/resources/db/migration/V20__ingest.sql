-- Ingest settings of a stream, beside the stream row so ladder/output configuration can evolve on its own.
CREATE TABLE stream_ingest (
  stream_id             VARCHAR(32)   NOT NULL PRIMARY KEY,
  -- pull: the source URL (http, https or rtmp; an .m3u8 is HLS).
  pull_url              VARCHAR(2000) NULL,
  -- srt: the listener's passphrase (10 to 79 characters).
  srt_passphrase        VARCHAR(79)   NULL,
  -- JSON array of CIDRs allowed to send input; NULL or empty: any address.
  allow_cidrs           TEXT          NULL,
  -- How long a lost input may stay away before the stream FAILS; NULL: the configured default.
  reconnect_window_seconds INT        NULL,
  -- The key a rotation replaced, accepted until previous_key_until (the grace period).
  previous_key          VARCHAR(64)   NULL,
  previous_key_until    TIMESTAMP(3)  NULL,
  -- Stable URL of the latest thumbnail, once the agent announced one.
  thumbnail_url         VARCHAR(1000) NULL,
  updated_at            TIMESTAMP(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  CONSTRAINT fk_stream_ingest_stream FOREIGN KEY (stream_id) REFERENCES streams (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- stream.health is throttled per machine: the time of the last one written.
ALTER TABLE machines ADD COLUMN last_health_at TIMESTAMP(3) NULL;

-- Versioned stream configurations (ladder and outputs). streams.renditions keeps the current ladder for reads;
-- stream_configs keeps every version, so an earlier one can be restored. Each change is a new, higher version.
ALTER TABLE streams ADD COLUMN config_version INT NOT NULL DEFAULT 1;

CREATE TABLE stream_configs (
  stream_id   VARCHAR(32)   NOT NULL,
  version     INT           NOT NULL,
  -- JSON: {"preset", "renditions": [...], "outputs": {"hls", "dash", "rtmp"}}
  config      MEDIUMTEXT    NOT NULL,
  reason      VARCHAR(200)  NOT NULL,
  created_at  TIMESTAMP(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (stream_id, version),
  CONSTRAINT fk_stream_configs_stream FOREIGN KEY (stream_id) REFERENCES streams (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Streams bought before configurations existed start at version 1 with their offer's ladder and HLS only.
INSERT INTO stream_configs (stream_id, version, config, reason)
SELECT id, 1, CONCAT('{"preset":null,"renditions":', renditions,
  ',"outputs":{"hls":{"segmentType":"ts","segmentSeconds":2,"windowSegments":6},"dash":false,"rtmp":null}}'),
  'purchase'
FROM streams;

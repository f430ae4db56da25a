-- CDN profiles of an account. settings: JSON of the public fields; secrets: AES-GCM box of the secret fields
-- (io.ltm.cdn.SecretBox), never stored in clear. A deleted profile keeps its row for the history of the streams
-- that used it.
CREATE TABLE cdn_profiles (
  id          VARCHAR(32)   NOT NULL PRIMARY KEY,
  account_id  VARCHAR(32)   NOT NULL,
  name        VARCHAR(100)  NOT NULL,
  kind        VARCHAR(16)   NOT NULL,
  settings    TEXT          NOT NULL,
  secrets     TEXT          NULL,
  created_at  TIMESTAMP(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at  TIMESTAMP(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  deleted_at  TIMESTAMP(3)  NULL,
  KEY idx_cdn_profiles_account (account_id, created_at),
  CONSTRAINT fk_cdn_profiles_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- The CDN a running stream is delivered through now (a profile id, or 'origin') and what viewers use there.
ALTER TABLE streams ADD COLUMN active_cdn VARCHAR(32) NULL, ADD COLUMN playback_url VARCHAR(1000) NULL;

-- The bootstrap token is no longer kept in clear: only SHA-256 hashes of the tokens handed to launches. A start
-- job redelivered after a crash cannot know the token an instance it already launched carries (EC2 adopts that
-- instance by ClientToken and tag, the local provider its process), so it launches with a fresh token and adds its
-- hash; any of them is good for the one hello, and all are deleted with it. Tokens of machines that have not
-- called home yet are carried over as their hashes (MariaDB's SHA2 is the same lowercase hex as Ids.sha256).
CREATE TABLE machine_bootstrap_tokens (
  machine_id  VARCHAR(32)  NOT NULL,
  token_hash  CHAR(64)     NOT NULL,
  created_at  TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (machine_id, token_hash)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

INSERT INTO machine_bootstrap_tokens (machine_id, token_hash)
  SELECT id, SHA2(bootstrap_token, 256) FROM machines WHERE bootstrap_token IS NOT NULL;

ALTER TABLE machines DROP COLUMN bootstrap_token;

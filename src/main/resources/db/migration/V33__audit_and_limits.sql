-- Security-relevant actions per account (sign-in, API keys, stream keys, ingest and CDN credentials), readable by
-- the account through GET /api/v1/audit. Kept apart from events: they are not stream history and never replayed.
CREATE TABLE audit_log (
  id              BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
  account_id      VARCHAR(32)   NOT NULL,
  at              TIMESTAMP(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  -- A dotted name: session.signed_in, api_key.created, stream.key_rotated, …
  action          VARCHAR(64)   NOT NULL,
  -- api_key (actor_id: the key's visible prefix), session (actor_id: a reference to the session), anonymous.
  actor_type      VARCHAR(16)   NOT NULL,
  actor_id        VARCHAR(64)   NULL,
  -- The client address as this server saw it.
  source_address  VARCHAR(64)   NULL,
  -- JSON: what the action concerned; never a secret.
  detail          TEXT          NULL,
  KEY idx_audit_log_account (account_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Password checks per e-mail (by SHA-256 of the normalised address) in the current window, shared by all nodes.
CREATE TABLE sign_in_attempts (
  email_hash    CHAR(64)     NOT NULL PRIMARY KEY,
  attempts      INT          NOT NULL,
  window_start  TIMESTAMP(3) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- An Idempotency-Key is the client's exact string: "Order-1" and "order-1" are two keys. The default collation
-- compared them case-insensitively, so one replayed the other's order.
ALTER TABLE idempotency_keys MODIFY idem_key VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL;

-- Browser sign-in: a password per account (PBKDF2, see io.ltm.account.domain.Passwords) and server-side sessions.

ALTER TABLE accounts ADD COLUMN password_hash VARCHAR(255) NULL;

CREATE TABLE sessions (
  -- SHA-256 of the cookie's token: a database leak yields no usable session.
  id_hash     CHAR(64)     NOT NULL PRIMARY KEY,
  account_id  VARCHAR(32)  NOT NULL,
  -- Sent back in X-CSRF-Token on every state-changing request made with the cookie.
  csrf_token  VARCHAR(64)  NOT NULL,
  created_at  TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  expires_at  TIMESTAMP(3) NOT NULL,
  KEY idx_sessions_account (account_id),
  CONSTRAINT fk_sessions_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- LTM schema. Ids are prefixed strings (acc_, ord_, str_, mch_, key_); times are UTC with milliseconds.

CREATE TABLE accounts (
  id          VARCHAR(32)  NOT NULL PRIMARY KEY,
  name        VARCHAR(200) NOT NULL,
  email       VARCHAR(320) NOT NULL UNIQUE,
  -- Last event sequence number handed out for this account; bumped under the row lock.
  event_seq   BIGINT       NOT NULL DEFAULT 0,
  created_at  TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE api_keys (
  id          VARCHAR(32)  NOT NULL PRIMARY KEY,
  account_id  VARCHAR(32)  NOT NULL,
  -- The visible part of the key (ltm_<prefix>_<secret>), used to find the row; the whole key is only hashed.
  prefix      VARCHAR(16)  NOT NULL UNIQUE,
  key_hash    CHAR(64)     NOT NULL,
  label       VARCHAR(100) NOT NULL,
  created_at  TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  revoked_at  TIMESTAMP(3) NULL,
  CONSTRAINT fk_api_keys_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE offers (
  id                    VARCHAR(32)  NOT NULL PRIMARY KEY,
  name                  VARCHAR(100) NOT NULL,
  description           VARCHAR(500) NOT NULL,
  price_per_hour_cents  INT          NOT NULL,
  currency              CHAR(3)      NOT NULL,
  -- The ladder a stream of this offer gets (JSON array of renditions, top first).
  renditions            TEXT         NOT NULL,
  active                BOOLEAN      NOT NULL DEFAULT TRUE,
  sort_order            INT          NOT NULL DEFAULT 0
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE orders (
  id                    VARCHAR(32)  NOT NULL PRIMARY KEY,
  account_id            VARCHAR(32)  NOT NULL,
  offer_id              VARCHAR(32)  NOT NULL,
  quantity              INT          NOT NULL,
  state                 VARCHAR(16)  NOT NULL,
  price_per_hour_cents  INT          NOT NULL,
  currency              CHAR(3)      NOT NULL,
  created_at            TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at            TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  KEY idx_orders_account (account_id, created_at),
  CONSTRAINT fk_orders_account FOREIGN KEY (account_id) REFERENCES accounts (id),
  CONSTRAINT fk_orders_offer FOREIGN KEY (offer_id) REFERENCES offers (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- A retried purchase with the same key gets the first answer back.
CREATE TABLE idempotency_keys (
  account_id    VARCHAR(32)  NOT NULL,
  idem_key      VARCHAR(255) NOT NULL,
  request_hash  CHAR(64)     NOT NULL,
  status        INT          NOT NULL,
  response      MEDIUMTEXT   NOT NULL,
  created_at    TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (account_id, idem_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE streams (
  id            VARCHAR(32)   NOT NULL PRIMARY KEY,
  account_id    VARCHAR(32)   NOT NULL,
  order_id      VARCHAR(32)   NOT NULL,
  offer_id      VARCHAR(32)   NOT NULL,
  name          VARCHAR(200)  NOT NULL,
  state         VARCHAR(16)   NOT NULL,
  state_reason  VARCHAR(1000) NULL,
  -- Bumped on every start: jobs and machines of an older start are recognised as stale.
  generation    INT           NOT NULL DEFAULT 0,
  input_kind    VARCHAR(16)   NOT NULL,
  stream_key    VARCHAR(64)   NOT NULL,
  renditions    TEXT          NOT NULL,
  machine_id    VARCHAR(32)   NULL,
  preview_url   VARCHAR(1000) NULL,
  ingest_url    VARCHAR(1000) NULL,
  created_at    TIMESTAMP(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at    TIMESTAMP(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  KEY idx_streams_account (account_id, created_at),
  CONSTRAINT fk_streams_order FOREIGN KEY (order_id) REFERENCES orders (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE machines (
  id                    VARCHAR(32)   NOT NULL PRIMARY KEY,
  stream_id             VARCHAR(32)   NOT NULL,
  account_id            VARCHAR(32)   NOT NULL,
  generation            INT           NOT NULL,
  provider              VARCHAR(16)   NOT NULL,
  -- The provider's handle: a process id for `local`, an instance id for `ec2`.
  provider_ref          VARCHAR(100)  NULL,
  state                 VARCHAR(16)   NOT NULL,
  state_reason          VARCHAR(1000) NULL,
  -- One-time secret the agent presents at hello; cleared once used.
  bootstrap_token       VARCHAR(64)   NULL,
  agent_token_hash      CHAR(64)      NULL,
  last_heartbeat_at     TIMESTAMP(3)  NULL,
  progress              TEXT          NULL,
  created_at            TIMESTAMP(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at            TIMESTAMP(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  -- One machine per start of a stream: a redelivered job cannot launch a second one.
  UNIQUE KEY uq_machines_stream_generation (stream_id, generation),
  KEY idx_machines_state (state)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Provisioning jobs and the step each has durably reached.
CREATE TABLE jobs (
  id          VARCHAR(40)   NOT NULL PRIMARY KEY,
  kind        VARCHAR(32)   NOT NULL,
  account_id  VARCHAR(32)   NOT NULL,
  subject_id  VARCHAR(32)   NOT NULL,
  generation  INT           NOT NULL DEFAULT 0,
  step        VARCHAR(32)   NOT NULL,
  attempts    INT           NOT NULL DEFAULT 0,
  last_error  VARCHAR(1000) NULL,
  created_at  TIMESTAMP(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at  TIMESTAMP(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  KEY idx_jobs_subject (subject_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Messages written in the same transaction as the change they announce; the relay publishes them.
CREATE TABLE outbox (
  id           BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  exchange     VARCHAR(64)  NOT NULL,
  routing_key  VARCHAR(255) NOT NULL,
  message_id   VARCHAR(64)  NOT NULL,
  payload      MEDIUMTEXT   NOT NULL,
  created_at   TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  sent_at      TIMESTAMP(3) NULL,
  KEY idx_outbox_unsent (sent_at, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE events (
  account_id  VARCHAR(32)  NOT NULL,
  seq         BIGINT       NOT NULL,
  type        VARCHAR(32)  NOT NULL,
  stream_id   VARCHAR(32)  NULL,
  payload     MEDIUMTEXT   NOT NULL,
  created_at  TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (account_id, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

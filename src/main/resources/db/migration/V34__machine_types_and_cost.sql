-- What each machine was launched as, what an hour of it costs the operator, and how long it ran: usage shows a
-- stream's machine cost beside its price. The provider_ref index serves the reconciler's lookups by instance.
ALTER TABLE machines
  ADD COLUMN instance_type    VARCHAR(32)   NULL,
  ADD COLUMN hourly_price_usd DECIMAL(10,5) NULL,
  ADD COLUMN launched_at      TIMESTAMP(3)  NULL,
  ADD COLUMN ended_at         TIMESTAMP(3)  NULL,
  ADD KEY idx_machines_provider_state (provider, state);

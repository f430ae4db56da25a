-- Idempotency keys are kept 24 h (IdempotencyKeyPruner): the pruner walks them by age.
CREATE INDEX idx_idempotency_keys_created ON idempotency_keys (created_at);

-- An order whose job was dead-lettered FAILS with a reason the customer reads (issue 12).
ALTER TABLE orders ADD COLUMN state_reason VARCHAR(255) NULL AFTER state;

-- The worker looks for streams left PROVISIONING past the timeout: by state and age, not a table scan.
CREATE INDEX idx_streams_state_updated ON streams (state, updated_at);

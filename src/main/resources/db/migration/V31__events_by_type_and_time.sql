-- stream.health events are pruned by age (HealthPruner): an index range on (type, created_at) finds the oldest
-- without scanning the whole log.
CREATE INDEX idx_events_type_created ON events (type, created_at);

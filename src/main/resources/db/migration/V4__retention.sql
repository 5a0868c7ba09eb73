-- Retention deletes ended sagas, old deadlock records, resolved alerts and delivered notifications, oldest first.
-- The partial indexes hold only what retention may delete, so sagas that run never touch them.
CREATE INDEX sagas_ended_idx ON sagas (ended_at) WHERE status IN ('COMPLETED', 'COMPENSATED');
CREATE INDEX alerts_resolved_idx ON alerts (resolved_at) WHERE state = 'RESOLVED';
CREATE INDEX alert_deliveries_delivered_idx ON alert_deliveries (delivered_at) WHERE delivered_at IS NOT NULL;
-- A deleted saga sets these references to NULL: without an index, every deletion would scan the table.
CREATE INDEX deadlocks_victim_idx ON deadlocks (victim_saga_id);
CREATE INDEX alerts_saga_idx ON alerts (saga_id);

-- One minimal durable three-step saga per script run, in five commits: submit, claim, and one per step, each a
-- guarded change plus an event row (pgbench's "tps" is then sagas per second).
BEGIN;
INSERT INTO msaga (id, status, definition, created_at, updated_at)
    VALUES (nextval('msaga_seq'), 'PENDING', '{"steps": 3}', now(), now()) RETURNING id AS saga \gset
INSERT INTO mevent (saga_id, kind, at) VALUES (:saga, 'SUBMITTED', now());
COMMIT;
BEGIN;
UPDATE msaga SET status = 'RUNNING', lease_owner = 'node-1', updated_at = now() WHERE id = :saga AND status = 'PENDING';
INSERT INTO mevent (saga_id, kind, at) VALUES (:saga, 'STARTED', now());
COMMIT;
BEGIN;
INSERT INTO mstep (saga_id, idx, status, response) VALUES (:saga, 0, 'SUCCEEDED', '{"ok": true}');
INSERT INTO mevent (saga_id, kind, at) VALUES (:saga, 'STEP_SUCCEEDED', now());
COMMIT;
BEGIN;
INSERT INTO mstep (saga_id, idx, status, response) VALUES (:saga, 1, 'SUCCEEDED', '{"ok": true}');
INSERT INTO mevent (saga_id, kind, at) VALUES (:saga, 'STEP_SUCCEEDED', now());
COMMIT;
BEGIN;
INSERT INTO mstep (saga_id, idx, status, response) VALUES (:saga, 2, 'SUCCEEDED', '{"ok": true}');
UPDATE msaga SET status = 'COMPLETED', current_step = 3, lease_owner = NULL, updated_at = now()
    WHERE id = :saga AND status = 'RUNNING';
INSERT INTO mevent (saga_id, kind, at) VALUES (:saga, 'COMPLETED', now());
COMMIT;

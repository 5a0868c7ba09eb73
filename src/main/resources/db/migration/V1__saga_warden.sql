-- Saga Warden schema: the whole design lives here so every feature shares one source of truth.
-- CHECK constraints tie columns to states, so an illegal state cannot be stored.

CREATE TABLE sagas (
    id               uuid PRIMARY KEY,
    type             varchar(100) NOT NULL,
    status           varchar(16)  NOT NULL,
    reason           varchar(32),
    priority         integer      NOT NULL DEFAULT 0,
    version          bigint       NOT NULL DEFAULT 0,
    definition       jsonb        NOT NULL,
    payload          jsonb        NOT NULL DEFAULT 'null',
    labels           jsonb        NOT NULL DEFAULT '{}',
    on_deadlock      varchar(16)  NOT NULL DEFAULT 'COMPENSATE',
    timeout_ms       bigint,
    lock_timeout_ms  bigint,
    submitter        varchar(200) NOT NULL,
    idempotency_key  varchar(200),
    request_hash     varchar(64)  NOT NULL,
    -- index of the step being executed (or compensated); equals the step count once all succeeded
    current_step     integer      NOT NULL DEFAULT 0,
    -- an abort asked for by an operator or the deadlock detector, applied by the saga's owner at its next move
    abort_reason     varchar(32),
    lease_owner      varchar(100),
    lease_expires_at timestamptz,
    next_run_at      timestamptz  NOT NULL,
    recovery_count   integer      NOT NULL DEFAULT 0,
    restart_count    integer      NOT NULL DEFAULT 0,
    created_at       timestamptz  NOT NULL,
    started_at       timestamptz,
    updated_at       timestamptz  NOT NULL,
    progress_at      timestamptz  NOT NULL,
    ended_at         timestamptz,
    CONSTRAINT sagas_status_check CHECK (status IN
        ('PENDING', 'RUNNING', 'WAITING', 'COMPENSATING', 'COMPLETED', 'COMPENSATED', 'FAILED')),
    CONSTRAINT sagas_reason_check CHECK (reason IS NULL OR reason IN
        ('STEP_FAILED', 'DEADLOCK_VICTIM', 'LOCK_TIMEOUT', 'SAGA_TIMEOUT', 'OPERATOR_ABORT',
         'STUCK_RECOVERY', 'COMPENSATION_FAILED')),
    CONSTRAINT sagas_abort_reason_check CHECK (abort_reason IS NULL OR abort_reason IN
        ('DEADLOCK_VICTIM', 'LOCK_TIMEOUT', 'SAGA_TIMEOUT', 'OPERATOR_ABORT', 'STUCK_RECOVERY')),
    CONSTRAINT sagas_on_deadlock_check CHECK (on_deadlock IN ('COMPENSATE', 'RESTART')),
    CONSTRAINT sagas_priority_check CHECK (priority BETWEEN 0 AND 1000),
    -- a saga has ended exactly when it is in a terminal status
    CONSTRAINT sagas_ended_check CHECK
        ((status IN ('COMPLETED', 'COMPENSATED', 'FAILED')) = (ended_at IS NOT NULL)),
    -- a reason explains every way of going backwards, and never a success
    CONSTRAINT sagas_reason_status_check CHECK (
        (status IN ('COMPENSATING', 'COMPENSATED', 'FAILED') AND reason IS NOT NULL)
        OR (status IN ('PENDING', 'RUNNING', 'WAITING', 'COMPLETED') AND reason IS NULL)),
    -- a lease is an owner with an expiry, and ended sagas are never leased
    CONSTRAINT sagas_lease_check CHECK ((lease_owner IS NULL) = (lease_expires_at IS NULL)),
    CONSTRAINT sagas_lease_ended_check CHECK (ended_at IS NULL OR lease_owner IS NULL),
    CONSTRAINT sagas_started_check CHECK (status = 'PENDING' OR started_at IS NOT NULL),
    CONSTRAINT sagas_idempotency_unique UNIQUE (submitter, idempotency_key)
);

-- Claim path: due work by priority. Only sagas that can run are indexed: a saga waiting for a lock with no
-- deadline (next_run_at = 'infinity') stays out, so thousands of waiters never slow down a claim.
CREATE INDEX sagas_claim_idx ON sagas (priority DESC, next_run_at)
    WHERE status IN ('PENDING', 'RUNNING', 'WAITING', 'COMPENSATING') AND next_run_at < 'infinity';
CREATE INDEX sagas_lease_idx ON sagas (lease_owner) WHERE lease_owner IS NOT NULL;
CREATE INDEX sagas_active_idx ON sagas (status, progress_at) WHERE ended_at IS NULL;
-- Listing: newest first, keyset on (created_at, id).
CREATE INDEX sagas_listing_idx ON sagas (created_at DESC, id DESC);
CREATE INDEX sagas_type_listing_idx ON sagas (type, created_at DESC, id DESC);
CREATE INDEX sagas_status_listing_idx ON sagas (status, created_at DESC, id DESC);
CREATE INDEX sagas_labels_idx ON sagas USING gin (labels jsonb_path_ops);

CREATE TABLE saga_steps (
    saga_id                 uuid         NOT NULL REFERENCES sagas (id) ON DELETE CASCADE,
    idx                     integer      NOT NULL,
    name                    varchar(100) NOT NULL,
    status                  varchar(16)  NOT NULL DEFAULT 'PENDING',
    attempts                integer      NOT NULL DEFAULT 0,
    started_at              timestamptz,
    ended_at                timestamptz,
    response                jsonb,
    last_error              text,
    compensation_status     varchar(16)  NOT NULL DEFAULT 'NOT_STARTED',
    compensation_attempts   integer      NOT NULL DEFAULT 0,
    compensation_last_error text,
    -- some attempt may have reached the participant (timeout, 5xx, crash mid-call): compensate if it fails
    may_have_taken_effect   boolean      NOT NULL DEFAULT false,
    PRIMARY KEY (saga_id, idx),
    CONSTRAINT saga_steps_name_unique UNIQUE (saga_id, name),
    CONSTRAINT saga_steps_status_check CHECK (status IN ('PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'SKIPPED')),
    CONSTRAINT saga_steps_compensation_check CHECK (compensation_status IN
        ('NOT_STARTED', 'RUNNING', 'COMPENSATED', 'FAILED', 'NOT_NEEDED')),
    CONSTRAINT saga_steps_attempts_check CHECK (attempts >= 0 AND compensation_attempts >= 0),
    -- only a step whose action took effect, or may have (a timeout, a 5xx), has anything to compensate
    CONSTRAINT saga_steps_compensated_check CHECK
        (compensation_status NOT IN ('RUNNING', 'COMPENSATED', 'FAILED') OR status IN ('SUCCEEDED', 'FAILED'))
);

-- Semantic locks: one row per (resource, saga); the fencing token grows per grant.
CREATE SEQUENCE fencing_tokens;

CREATE TABLE resource_locks (
    resource      varchar(200) NOT NULL,
    saga_id       uuid         NOT NULL REFERENCES sagas (id) ON DELETE CASCADE,
    mode          varchar(10)  NOT NULL,
    granted_at    timestamptz  NOT NULL,
    fencing_token bigint       NOT NULL,
    PRIMARY KEY (resource, saga_id),
    CONSTRAINT resource_locks_mode_check CHECK (mode IN ('SHARED', 'UPDATE', 'EXCLUSIVE'))
);
CREATE INDEX resource_locks_saga_idx ON resource_locks (saga_id);

-- A safety net under the lock manager: whatever path writes a grant, a resource never gets incompatible
-- holders (SHARED admits SHARED and UPDATE; UPDATE admits SHARED; EXCLUSIVE admits nobody).
CREATE FUNCTION resource_locks_compatible() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM resource_locks o
               WHERE o.resource = NEW.resource AND o.saga_id <> NEW.saga_id
                 AND NOT ((NEW.mode = 'SHARED' AND o.mode IN ('SHARED', 'UPDATE'))
                          OR (NEW.mode = 'UPDATE' AND o.mode = 'SHARED'))) THEN
        RAISE EXCEPTION 'incompatible % lock on % for saga %', NEW.mode, NEW.resource, NEW.saga_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER resource_locks_compatible BEFORE INSERT OR UPDATE ON resource_locks
    FOR EACH ROW EXECUTE FUNCTION resource_locks_compatible();

-- Waiting requests, FIFO per resource by seq; a saga waits in one queue at a time (it takes a step's locks in
-- resource order and queues at the first it cannot have).
CREATE TABLE lock_waits (
    seq       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    resource  varchar(200) NOT NULL,
    saga_id   uuid         NOT NULL REFERENCES sagas (id) ON DELETE CASCADE,
    mode      varchar(10)  NOT NULL,
    upgrade   boolean      NOT NULL DEFAULT false,
    queued_at timestamptz  NOT NULL,
    CONSTRAINT lock_waits_mode_check CHECK (mode IN ('SHARED', 'UPDATE', 'EXCLUSIVE')),
    CONSTRAINT lock_waits_unique UNIQUE (resource, saga_id)
);
CREATE INDEX lock_waits_resource_idx ON lock_waits (resource, seq);
CREATE INDEX lock_waits_saga_idx ON lock_waits (saga_id);

CREATE TABLE saga_events (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    saga_id uuid         NOT NULL REFERENCES sagas (id) ON DELETE CASCADE,
    at      timestamptz  NOT NULL,
    kind    varchar(40)  NOT NULL,
    step    varchar(100),
    detail  jsonb        NOT NULL DEFAULT '{}'
);
CREATE INDEX saga_events_saga_idx ON saga_events (saga_id, id);

CREATE TABLE deadlocks (
    id             uuid PRIMARY KEY,
    detected_at    timestamptz NOT NULL,
    resolution     varchar(16) NOT NULL,
    victim_saga_id uuid        REFERENCES sagas (id) ON DELETE SET NULL,
    victim         jsonb       NOT NULL,
    cycle          jsonb       NOT NULL,
    text           text        NOT NULL,
    CONSTRAINT deadlocks_resolution_check CHECK (resolution IN ('ABORT_SAGA', 'TIMEOUT', 'MANUAL'))
);
CREATE INDEX deadlocks_listing_idx ON deadlocks (detected_at DESC, id DESC);

CREATE TABLE alerts (
    id               uuid PRIMARY KEY,
    kind             varchar(32)  NOT NULL,
    severity         varchar(16)  NOT NULL,
    saga_id          uuid         REFERENCES sagas (id) ON DELETE SET NULL,
    summary          varchar(500) NOT NULL,
    description      text         NOT NULL,
    metadata         jsonb        NOT NULL DEFAULT '{}',
    state            varchar(16)  NOT NULL DEFAULT 'OPEN',
    created_at       timestamptz  NOT NULL,
    acknowledged_at  timestamptz,
    acknowledged_by  varchar(200),
    resolved_at      timestamptz,
    CONSTRAINT alerts_kind_check CHECK (kind IN
        ('LONG_RUNNING', 'STUCK', 'DEADLOCK', 'RECOVERY_FAILED', 'COMPENSATION_FAILED')),
    CONSTRAINT alerts_severity_check CHECK (severity IN ('warning', 'critical')),
    CONSTRAINT alerts_state_check CHECK (state IN ('OPEN', 'ACKNOWLEDGED', 'RESOLVED')),
    CONSTRAINT alerts_resolved_check CHECK ((state = 'RESOLVED') = (resolved_at IS NOT NULL)),
    CONSTRAINT alerts_ack_check CHECK ((acknowledged_at IS NULL) = (acknowledged_by IS NULL))
);
-- Deduplication: one alert per kind and saga while it is not resolved.
CREATE UNIQUE INDEX alerts_open_unique ON alerts (kind, saga_id) WHERE state <> 'RESOLVED';
CREATE INDEX alerts_listing_idx ON alerts (state, created_at DESC, id DESC);

-- Outbox of alert notifications: a sink that is down loses nothing.
CREATE TABLE alert_deliveries (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id        uuid        NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    sink            varchar(200) NOT NULL,
    payload         jsonb       NOT NULL,
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    delivered_at    timestamptz,
    last_error      text
);
CREATE INDEX alert_deliveries_due_idx ON alert_deliveries (next_attempt_at) WHERE delivered_at IS NULL;

-- Cluster membership and leader leases (deadlock detector, recovery monitor).
CREATE TABLE cluster_nodes (
    id           varchar(100) PRIMARY KEY,
    started_at   timestamptz NOT NULL,
    heartbeat_at timestamptz NOT NULL
);

CREATE TABLE leader_leases (
    job        varchar(64)  PRIMARY KEY,
    owner      varchar(100) NOT NULL,
    expires_at timestamptz  NOT NULL
);

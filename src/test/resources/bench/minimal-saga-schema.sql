-- The least a durable three-step saga must store, as the drain benchmark's yardstick: the saga, its step records
-- and an event per transition, each table keyed as Saga Warden keys its own.
CREATE SEQUENCE msaga_seq;
CREATE TABLE msaga (
    id           bigint PRIMARY KEY,
    status       text        NOT NULL,
    current_step integer     NOT NULL DEFAULT 0,
    lease_owner  text,
    definition   jsonb       NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);
CREATE TABLE mstep (
    saga_id  bigint  NOT NULL,
    idx      integer NOT NULL,
    status   text    NOT NULL,
    response jsonb,
    PRIMARY KEY (saga_id, idx)
);
CREATE TABLE mevent (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    saga_id bigint      NOT NULL,
    kind    text        NOT NULL,
    at      timestamptz NOT NULL
);
CREATE INDEX mevent_saga_idx ON mevent (saga_id, id);

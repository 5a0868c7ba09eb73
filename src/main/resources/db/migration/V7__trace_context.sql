-- The W3C trace a submission named (trace id and flags, "<32 hex>-<2 hex>"); NULL for a saga that is a trace of
-- its own, whose trace id is its id.
ALTER TABLE sagas ADD COLUMN trace_parent varchar(35);

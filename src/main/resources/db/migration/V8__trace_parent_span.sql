-- A saga's trace keeps its parent span too ("<32 hex>-<16 hex>-<2 hex>"), so its calls are children of the span
-- that submitted it. Widening a varchar rewrites nothing.
ALTER TABLE sagas ALTER COLUMN trace_parent TYPE varchar(52);

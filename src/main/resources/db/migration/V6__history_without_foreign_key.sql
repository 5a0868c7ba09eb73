-- Every event row is written by the saga store in the same statement as its saga's move, so it always has its
-- saga; a foreign key would check that once more for every event (a lookup and a row lock on the saga, about ten
-- times per saga). Retention deletes a saga's history with the saga itself.
ALTER TABLE saga_events DROP CONSTRAINT saga_events_saga_id_fkey;

package io.sagawarden.testing;

/**
 * A saga of a given type that no node can move, the way a stuck saga happens in production: every node fails to
 * record its move (here a trigger refuses its step rows, as a database fault or a bug of the node's would) and
 * rests it, again and again, while nothing legitimate is pending. {@link #letMove} removes the fault.
 */
public final class StuckSagas {

    private final Db db;

    private StuckSagas(Db db) {
        this.db = db;
    }

    /** From now on, no node can move a saga of {@code type}. */
    public static StuckSagas ofType(Db db, String type) {
        db.execute("""
                CREATE FUNCTION refuse_moves() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF EXISTS (SELECT 1 FROM sagas WHERE id = NEW.saga_id AND type = '%s') THEN
                        RAISE EXCEPTION 'no move of saga %% today', NEW.saga_id;
                    END IF;
                    RETURN NEW;
                END $$;
                CREATE TRIGGER refuse_moves BEFORE UPDATE ON saga_steps FOR EACH ROW EXECUTE FUNCTION refuse_moves();"""
                .formatted(type.replace("'", "''")));
        return new StuckSagas(db);
    }

    /** The fault is gone: the next node to try moves the saga. */
    public void letMove() {
        db.execute("DROP TRIGGER IF EXISTS refuse_moves ON saga_steps; DROP FUNCTION IF EXISTS refuse_moves()");
    }
}

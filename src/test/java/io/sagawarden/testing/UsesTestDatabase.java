package io.sagawarden.testing;

import io.quarkus.test.common.QuarkusTestResource;

/** Registers the throwaway PostgreSQL database for every {@code @QuarkusTest} of the run. */
@QuarkusTestResource(PostgresTestDatabase.class)
public final class UsesTestDatabase {
    private UsesTestDatabase() {
    }
}

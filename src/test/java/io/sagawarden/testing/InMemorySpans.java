package io.sagawarden.testing;

import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.quarkus.arc.Unremovable;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/**
 * The spans the application exports, kept in memory for tests to read: the SDK's own in-memory exporter, picked up
 * as a CDI exporter. It exports only under a profile that turns the SDK on ({@code TracingProfile}).
 */
public class InMemorySpans {

    @Produces
    @Singleton
    @Unremovable
    InMemorySpanExporter exporter() {
        return InMemorySpanExporter.create();
    }
}

package io.sagawarden.lock;

/** One resource a step needs, and in which mode. */
public record LockRequest(String resource, LockMode mode) {
}

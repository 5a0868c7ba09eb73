package io.sagawarden.lock;

/**
 * Semantic lock modes. SHARED readers coexist; UPDATE announces a later EXCLUSIVE and admits readers only,
 * so two would-be writers queue instead of both upgrading (the classic upgrade deadlock).
 */
public enum LockMode {
    SHARED, UPDATE, EXCLUSIVE;

    public boolean isCompatibleWith(LockMode other) {
        return switch (this) {
            case SHARED -> other != EXCLUSIVE;
            case UPDATE -> other == SHARED;
            case EXCLUSIVE -> false;
        };
    }

    /** True when holding this mode already grants everything {@code requested} would. */
    public boolean covers(LockMode requested) {
        return ordinal() >= requested.ordinal();
    }
}

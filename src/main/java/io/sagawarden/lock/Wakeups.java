package io.sagawarden.lock;

import java.util.Collection;
import java.util.List;
import java.util.UUID;

/**
 * Makes waiting sagas due, so that a node claims them and they ask for their locks again. The lock manager decides
 * who may be woken; the saga rows belong to the saga store, which implements this.
 */
public interface Wakeups {

    /**
     * Wakes those of {@code sagas} that still wait and returns them; with {@code skipLocked}, a saga whose row another
     * transaction holds is left out instead of waited for.
     */
    List<UUID> wake(Collection<UUID> sagas, boolean skipLocked);
}

package io.sagawarden.lock;

import static io.sagawarden.lock.LockMode.EXCLUSIVE;
import static io.sagawarden.lock.LockMode.SHARED;
import static io.sagawarden.lock.LockMode.UPDATE;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class LockModeTest {

    /** Held mode, requested mode, whether both may be held on one resource by two sagas at once. */
    static Stream<Arguments> compatibility() {
        return Stream.of(
                Arguments.of(SHARED, SHARED, true),
                Arguments.of(SHARED, UPDATE, true),
                Arguments.of(SHARED, EXCLUSIVE, false),
                Arguments.of(UPDATE, SHARED, true),
                Arguments.of(UPDATE, UPDATE, false),
                Arguments.of(UPDATE, EXCLUSIVE, false),
                Arguments.of(EXCLUSIVE, SHARED, false),
                Arguments.of(EXCLUSIVE, UPDATE, false),
                Arguments.of(EXCLUSIVE, EXCLUSIVE, false));
    }

    @ParameterizedTest(name = "{0} held, {1} requested: compatible = {2}")
    @MethodSource("compatibility")
    void the_compatibility_matrix_is_the_documented_one(LockMode held, LockMode requested, boolean compatible) {
        assertThat(held.isCompatibleWith(requested)).isEqualTo(compatible);
    }

    @ParameterizedTest(name = "{0} and {1}")
    @MethodSource("compatibility")
    void compatibility_does_not_depend_on_who_came_first(LockMode a, LockMode b, boolean ignored) {
        assertThat(a.isCompatibleWith(b)).isEqualTo(b.isCompatibleWith(a));
    }

    /** Held mode, requested mode, whether holding the first already grants the second. */
    static Stream<Arguments> coverage() {
        return Stream.of(
                Arguments.of(SHARED, SHARED, true),
                Arguments.of(SHARED, UPDATE, false),
                Arguments.of(SHARED, EXCLUSIVE, false),
                Arguments.of(UPDATE, SHARED, true),
                Arguments.of(UPDATE, UPDATE, true),
                Arguments.of(UPDATE, EXCLUSIVE, false),
                Arguments.of(EXCLUSIVE, SHARED, true),
                Arguments.of(EXCLUSIVE, UPDATE, true),
                Arguments.of(EXCLUSIVE, EXCLUSIVE, true));
    }

    @ParameterizedTest(name = "{0} held covers {1} requested: {2}")
    @MethodSource("coverage")
    void a_stronger_held_mode_covers_a_weaker_request(LockMode held, LockMode requested, boolean covers) {
        assertThat(held.covers(requested)).isEqualTo(covers);
    }
}

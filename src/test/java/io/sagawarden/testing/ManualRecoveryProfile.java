package io.sagawarden.testing;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Map;

/**
 * The recovery monitor runs only when a test calls its {@code runOnce} with a clock moved ahead: a scheduled round on
 * the real clock would resolve the alerts and recoveries the test is looking at.
 */
public class ManualRecoveryProfile implements QuarkusTestProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("saga.recovery.interval", "PT1H");
    }
}

package io.sagawarden.console;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The console's demo sagas are the example shop's files, grouped into demos (the two halves of the deadlock are one),
 * offered only where a directory is configured (dev mode), and submitted like any saga.
 */
@QuarkusTest
@TestProfile(DemoSagasTest.WithTheShopsDemos.class)
class DemoSagasTest {

    public static class WithTheShopsDemos implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("saga.console.demo-sagas", "deploy/examples/shop/sagas");
        }
    }

    @Test
    void the_shops_files_are_four_sagas_in_three_demos_and_each_is_a_valid_submission() {
        given().get("/console/settings").then().statusCode(200).body("demoSagas", org.hamcrest.Matchers.is(true));
        JsonPath demos = given().get("/console/demo-sagas").then().statusCode(200).extract().jsonPath();
        assertThat(demos.getList("name", String.class)).containsExactly("compensates", "completes", "deadlock");
        assertThat(demos.getList("find { it.name == 'deadlock' }.sagas")).hasSize(2);
        for (Map<String, Object> saga : demos.<Map<String, Object>>getList("sagas.flatten()")) {
            // valid against the real validator (and the allow-list), not merely JSON: 201, or 4xx naming the field
            given().contentType("application/json").body(saga).post("/api/v1/sagas").then().statusCode(201);
        }
    }

    @Test
    void a_file_named_with_a_letter_suffix_belongs_to_the_demo_before_it() {
        assertThat(List.of("deadlock-a.json", "deadlock-b.json", "completes.json", "two-step.json", "x-1.json").stream()
                .map(f -> DemoSagas.demoName(Path.of(f))))
                .containsExactly("deadlock", "deadlock", "completes", "two-step", "x-1");
    }
}

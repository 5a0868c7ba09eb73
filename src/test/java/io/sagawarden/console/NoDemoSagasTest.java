package io.sagawarden.console;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;

import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

/** Without a directory of demo sagas (as in production) there are none, and the console offers none. */
@QuarkusTest
class NoDemoSagasTest {

    @Test
    void no_directory_no_demos() {
        given().get("/console/settings").then().statusCode(200).body("demoSagas", org.hamcrest.Matchers.is(false));
        given().get("/console/demo-sagas").then().statusCode(404).contentType(containsString("problem+json"));
    }
}

package io.sagawarden.testing;

import static io.restassured.RestAssured.given;

import org.eclipse.microprofile.config.ConfigProvider;

/** The management interface of the application under a {@code @QuarkusTest}: health and metrics, apart from the API. */
public final class Management {

    private Management() {
    }

    public static int port() {
        return ConfigProvider.getConfig().getOptionalValue("quarkus.management.test-port", Integer.class).orElse(9001);
    }

    /** The Prometheus text a scrape gets. */
    public static String metrics() {
        return given().port(port()).get("/q/metrics").then().statusCode(200).extract().asString();
    }
}

package io.sagawarden.saga;

/** The methods a participant call may use. */
public enum HttpMethod {
    GET, POST, PUT, PATCH, DELETE
}

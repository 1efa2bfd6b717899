package io.hypernetes.apiserver.rest;

import java.util.Optional;

/** The OpenAPI documents served under {@code /openapi/v2} and {@code /openapi/v3/...}, by request path. */
@FunctionalInterface
public interface OpenApiDocuments {
    Optional<byte[]> document(String path);
}

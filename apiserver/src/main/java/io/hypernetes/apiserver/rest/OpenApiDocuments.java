package io.hypernetes.apiserver.rest;

import java.util.Optional;

/** The OpenAPI documents served under {@code /openapi/v2} and {@code /openapi/v3/...}. */
@FunctionalInterface
public interface OpenApiDocuments {
    /** A document body and its media type. */
    record Document(String contentType, byte[] body, String etag) {}

    /** The document for a request path, in the representation the Accept header asks for when there is a choice. */
    Optional<Document> document(String path, String accept);
}

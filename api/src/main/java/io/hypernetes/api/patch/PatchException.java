package io.hypernetes.api.patch;

/**
 * A patch that cannot be applied. {@link #status()} says which HTTP answer the apiserver owes the client,
 * following what Kubernetes' patch handler returns for the same failure:
 *
 * <ul>
 *   <li>{@link Status#BAD_REQUEST} (400): the body is not a patch of the declared type at all (not JSON, wrong
 *       JSON type, a malformed directive). Retrying the same bytes can never succeed.</li>
 *   <li>{@link Status#INVALID} (422): the patch is well formed but does not apply to the stored object
 *       (missing path, failed {@code test}, index out of range). It may succeed against another version.</li>
 *   <li>{@link Status#REQUEST_ENTITY_TOO_LARGE} (413): a JSON patch with more operations than the server
 *       accepts.</li>
 * </ul>
 */
public final class PatchException extends RuntimeException {

    /** The Status the apiserver should answer with: HTTP code and {@code metav1.StatusReason}. */
    public enum Status {
        BAD_REQUEST(400, "BadRequest"),
        REQUEST_ENTITY_TOO_LARGE(413, "RequestEntityTooLarge"),
        INVALID(422, "Invalid");

        public final int code;
        public final String reason;

        Status(int code, String reason) {
            this.code = code;
            this.reason = reason;
        }
    }

    private final Status status;
    private final String path;
    private final String detail;

    /**
     * @param path where in the patch or object the problem is (a JSON pointer for JSON patch, a field path
     *             such as {@code spec.containers[name=nginx]} otherwise); empty for the whole document
     */
    public PatchException(Status status, String path, String detail) {
        super(path == null || path.isEmpty() ? detail : path + ": " + detail);
        this.status = status;
        this.path = path == null ? "" : path;
        this.detail = detail;
    }

    static PatchException badRequest(String path, String detail) {
        return new PatchException(Status.BAD_REQUEST, path, detail);
    }

    static PatchException invalid(String path, String detail) {
        return new PatchException(Status.INVALID, path, detail);
    }

    public Status status() {
        return status;
    }

    public int code() {
        return status.code;
    }

    public String path() {
        return path;
    }

    public String detail() {
        return detail;
    }
}

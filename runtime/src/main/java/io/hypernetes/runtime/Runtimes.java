package io.hypernetes.runtime;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.hypernetes.runtime.v1.ImageSpec;
import java.time.Instant;
import java.util.Map;

/** What every {@code RuntimeService} implementation says the same way: the interface's time and its errors. */
public final class Runtimes {
    private Runtimes() {}

    /** Nanoseconds since the Unix epoch, the interface's time. */
    public static long now() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    public static StatusRuntimeException notFound(String what, String id) {
        return Status.NOT_FOUND.withDescription(what + " \"" + id + "\" not found").asRuntimeException();
    }

    public static StatusRuntimeException invalid(String message) {
        return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
    }

    /** A request the object's state refuses. */
    public static StatusRuntimeException refused(String message) {
        return Status.FAILED_PRECONDITION.withDescription(message).asRuntimeException();
    }

    public static String required(String value, String field) {
        if (value.isEmpty()) {
            throw invalid(field + " is required");
        }
        return value;
    }

    public static long notNegative(long value, String field) {
        if (value < 0) {
            throw invalid(field + " must not be negative, got " + value);
        }
        return value;
    }

    /** Whether {@code labels} has every pair of {@code selector}, the interface's label filter. */
    public static boolean matches(Map<String, String> selector, Map<String, String> labels) {
        for (Map.Entry<String, String> wanted : selector.entrySet()) {
            if (!wanted.getValue().equals(labels.get(wanted.getKey()))) {
                return false;
            }
        }
        return true;
    }

    /** What a unary call computes; it may wait (a VM boot, a stop's grace period). */
    public interface Body<T> {
        T get() throws InterruptedException;
    }

    /**
     * Answers a unary call with what {@code body} computes, or with the status it throws; an interrupted wait is
     * CANCELLED, an unexpected failure INTERNAL (with its message, rather than gRPC's bare UNKNOWN).
     */
    public static <T> void answer(StreamObserver<T> out, Body<T> body) {
        T value;
        try {
            value = body.get();
        } catch (StatusRuntimeException e) {
            out.onError(e);
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            out.onError(Status.CANCELLED.withDescription("the runtime is stopping").asRuntimeException());
            return;
        } catch (RuntimeException e) {
            out.onError(Status.INTERNAL.withDescription(e.toString()).withCause(e).asRuntimeException());
            return;
        }
        out.onNext(value);
        out.onCompleted();
    }

    /** The image an image request names, required. */
    public static String requiredImage(boolean present, ImageSpec spec, String field) {
        if (!present || spec.getImage().isEmpty()) {
            throw invalid(field + ".image is required");
        }
        return spec.getImage();
    }
}

package dev.edgemodule;

import java.util.OptionalInt;

/**
 * Base class of every error edgemodule reports. Unchecked; one subclass per stable error
 * code, so callers can catch what they handle ({@link EdgeTimeoutException},
 * {@link UnauthorizedException}, ...) and let the rest propagate.
 *
 * <p>{@link #code()} is the stable numeric code shared by every edgemodule binding
 * ({@code INVALID_ARGUMENT 1} ... {@code INTERNAL 13}); {@link #errorName()} its upper-case
 * name, {@link #description()} what the code means and {@link #isTransient()} whether
 * retrying later may succeed — all from the native core's one table; {@link #status()} the
 * status the hub answered with, when there was one.
 */
public class EdgeModuleException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int code;
    private final int status;

    /**
     * Creates an exception.
     *
     * @param code the stable error code (see {@link #code()})
     * @param message what went wrong and what to do about it
     * @param status the hub's status code, or a negative number when there is none
     */
    public EdgeModuleException(int code, String message, int status) {
        super(message);
        this.code = code;
        this.status = status;
    }

    /**
     * The stable error code: {@code INVALID_ARGUMENT 1, CONFIG 2, UNAUTHORIZED 3,
     * CONNECTION 4, TIMEOUT 5, CLOSED 6, MESSAGE_TOO_LARGE 7, PROTOCOL 8, SERVICE 9,
     * CANCELLED 10, NOT_FOUND 11, THROTTLED 12, INTERNAL 13}.
     *
     * @return the code
     */
    public int code() {
        return code;
    }

    /**
     * The upper-case name of {@link #code()}, e.g. {@code MESSAGE_TOO_LARGE}.
     *
     * @return the name
     */
    public String errorName() {
        return ErrorCodes.name(code);
    }

    /**
     * What the code means, from the core's error table (the same text in every language),
     * e.g. "The operation did not complete within its timeout." for {@code TIMEOUT}.
     *
     * @return the description, or null for an unknown code
     */
    public String description() {
        return ErrorCodes.description(code);
    }

    /**
     * Whether retrying the same operation later may succeed without changing anything
     * ({@code CONNECTION}, {@code TIMEOUT}, {@code THROTTLED}), from the core's error table.
     *
     * @return true for a transient error
     */
    public boolean isTransient() {
        return ErrorCodes.isTransient(code);
    }

    /**
     * The status the hub answered with (for {@link ServiceException} and friends).
     *
     * @return the status, or empty when the hub gave none
     */
    public OptionalInt status() {
        return status >= 0 ? OptionalInt.of(status) : OptionalInt.empty();
    }

    @Override
    public String toString() {
        String where = status >= 0 ? " (status " + status + ")" : "";
        return getClass().getName() + ": " + errorName() + where + ": " + getMessage();
    }
}

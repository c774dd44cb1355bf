package dev.edgemodule;

/** The hub asked the client to slow down (code {@code THROTTLED} = 12). */
public class ThrottledException extends EdgeModuleException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong
     */
    public ThrottledException(String message) {
        super(ErrorCodes.THROTTLED, message, -1);
    }

    /**
     * Creates the exception with the hub's status.
     *
     * @param message what went wrong
     * @param status the hub's status code, or a negative number for none
     */
    public ThrottledException(String message, int status) {
        super(ErrorCodes.THROTTLED, message, status);
    }
}

package dev.edgemodule;

/** An operation did not complete within its timeout (code {@code TIMEOUT} = 5). */
public class EdgeTimeoutException extends EdgeModuleException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong
     */
    public EdgeTimeoutException(String message) {
        super(ErrorCodes.TIMEOUT, message, -1);
    }

    /**
     * Creates the exception with the hub's status.
     *
     * @param message what went wrong
     * @param status the hub's status code, or a negative number for none
     */
    public EdgeTimeoutException(String message, int status) {
        super(ErrorCodes.TIMEOUT, message, status);
    }
}

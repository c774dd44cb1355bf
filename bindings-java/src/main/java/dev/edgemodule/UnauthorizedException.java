package dev.edgemodule;

/** The hub refused the credentials (code {@code UNAUTHORIZED} = 3). */
public class UnauthorizedException extends EdgeModuleException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong
     */
    public UnauthorizedException(String message) {
        super(ErrorCodes.UNAUTHORIZED, message, -1);
    }

    /**
     * Creates the exception with the hub's status.
     *
     * @param message what went wrong
     * @param status the hub's status code, or a negative number for none
     */
    public UnauthorizedException(String message, int status) {
        super(ErrorCodes.UNAUTHORIZED, message, status);
    }
}

package dev.edgemodule;

/** The target (module, method, input) does not exist or is not connected (code {@code NOT_FOUND} = 11). */
public class NotFoundException extends EdgeModuleException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong
     */
    public NotFoundException(String message) {
        super(ErrorCodes.NOT_FOUND, message, -1);
    }

    /**
     * Creates the exception with the hub's status.
     *
     * @param message what went wrong
     * @param status the hub's status code, or a negative number for none
     */
    public NotFoundException(String message, int status) {
        super(ErrorCodes.NOT_FOUND, message, status);
    }
}

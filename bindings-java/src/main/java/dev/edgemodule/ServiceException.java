package dev.edgemodule;

/** The hub answered with an error status (see {@link #status()}) (code {@code SERVICE} = 9). */
public class ServiceException extends EdgeModuleException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong
     */
    public ServiceException(String message) {
        super(ErrorCodes.SERVICE, message, -1);
    }

    /**
     * Creates the exception with the hub's status.
     *
     * @param message what went wrong
     * @param status the hub's status code, or a negative number for none
     */
    public ServiceException(String message, int status) {
        super(ErrorCodes.SERVICE, message, status);
    }
}

package dev.edgemodule;

/** The client was closed before or while the operation ran (code {@code CLOSED} = 6). */
public class ClientClosedException extends EdgeModuleException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong
     */
    public ClientClosedException(String message) {
        super(ErrorCodes.CLOSED, message, -1);
    }
}

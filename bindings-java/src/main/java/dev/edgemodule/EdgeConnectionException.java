package dev.edgemodule;

/** The network or TLS layer failed (code {@code CONNECTION} = 4). */
public class EdgeConnectionException extends EdgeModuleException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong
     */
    public EdgeConnectionException(String message) {
        super(ErrorCodes.CONNECTION, message, -1);
    }
}

package dev.edgemodule;

/** The hub sent something that does not follow the protocol (code {@code PROTOCOL} = 8). */
public class EdgeProtocolException extends EdgeModuleException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong
     */
    public EdgeProtocolException(String message) {
        super(ErrorCodes.PROTOCOL, message, -1);
    }
}

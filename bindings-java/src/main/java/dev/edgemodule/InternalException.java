package dev.edgemodule;

/** A bug in edgemodule itself; please report it (code {@code INTERNAL} = 13). */
public class InternalException extends EdgeModuleException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong
     */
    public InternalException(String message) {
        super(ErrorCodes.INTERNAL, message, -1);
    }
}

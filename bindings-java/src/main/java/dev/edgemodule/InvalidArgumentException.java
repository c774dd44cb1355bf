package dev.edgemodule;

/** A value the API cannot accept (empty name, bad JSON, ...) (code {@code INVALID_ARGUMENT} = 1). */
public class InvalidArgumentException extends EdgeModuleException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong
     */
    public InvalidArgumentException(String message) {
        super(ErrorCodes.INVALID_ARGUMENT, message, -1);
    }
}

package dev.edgemodule;

/** The operation was cancelled (code {@code CANCELLED} = 10). */
public class OperationCancelledException extends EdgeModuleException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong
     */
    public OperationCancelledException(String message) {
        super(ErrorCodes.CANCELLED, message, -1);
    }
}

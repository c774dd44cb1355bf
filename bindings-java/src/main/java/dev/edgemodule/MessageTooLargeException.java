package dev.edgemodule;

/** A message exceeds 256 KiB (body + properties); nothing was sent (code {@code MESSAGE_TOO_LARGE} = 7). */
public class MessageTooLargeException extends EdgeModuleException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong
     */
    public MessageTooLargeException(String message) {
        super(ErrorCodes.MESSAGE_TOO_LARGE, message, -1);
    }
}

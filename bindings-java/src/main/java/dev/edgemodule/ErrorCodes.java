package dev.edgemodule;

/** The stable error codes and the exception class for each (shared by every binding). */
final class ErrorCodes {
    static final int INVALID_ARGUMENT = 1;
    static final int CONFIG = 2;
    static final int UNAUTHORIZED = 3;
    static final int CONNECTION = 4;
    static final int TIMEOUT = 5;
    static final int CLOSED = 6;
    static final int MESSAGE_TOO_LARGE = 7;
    static final int PROTOCOL = 8;
    static final int SERVICE = 9;
    static final int CANCELLED = 10;
    static final int NOT_FOUND = 11;
    static final int THROTTLED = 12;
    static final int INTERNAL = 13;

    private static final String[] NAMES = {
        "OK", "INVALID_ARGUMENT", "CONFIG", "UNAUTHORIZED", "CONNECTION", "TIMEOUT", "CLOSED",
        "MESSAGE_TOO_LARGE", "PROTOCOL", "SERVICE", "CANCELLED", "NOT_FOUND", "THROTTLED",
        "INTERNAL",
    };

    private ErrorCodes() {}

    static String name(int code) {
        return code >= 0 && code < NAMES.length ? NAMES[code] : "UNKNOWN(" + code + ")";
    }

    /** The exception for a code; an unknown code becomes {@link InternalException}. */
    static EdgeModuleException exception(int code, String message, int status) {
        switch (code) {
            case INVALID_ARGUMENT: return new InvalidArgumentException(message);
            case CONFIG: return new ConfigException(message);
            case UNAUTHORIZED: return new UnauthorizedException(message, status);
            case CONNECTION: return new EdgeConnectionException(message);
            case TIMEOUT: return new EdgeTimeoutException(message, status);
            case CLOSED: return new ClientClosedException(message);
            case MESSAGE_TOO_LARGE: return new MessageTooLargeException(message);
            case PROTOCOL: return new EdgeProtocolException(message);
            case SERVICE: return new ServiceException(message, status);
            case CANCELLED: return new OperationCancelledException(message);
            case NOT_FOUND: return new NotFoundException(message, status);
            case THROTTLED: return new ThrottledException(message, status);
            case INTERNAL: return new InternalException(message);
            default: return new InternalException("unknown error code " + code + ": " + message);
        }
    }
}

package dev.edgemodule;

/**
 * The stable error codes, the exception class for each, and the core's table of names,
 * descriptions and transience ({@code edgemodule::CODES}, read from the native library once).
 */
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

    /** {@code {name, description, "true"|"false"}} per code (OK first), from the core. */
    private static final class Table {
        static final String[] ROWS = Native.errorTable();
        static final int PER_CODE = 3;

        static String field(int code, int field) {
            int i = code * PER_CODE + field;
            return code >= 0 && i < ROWS.length ? ROWS[i] : null;
        }
    }

    private ErrorCodes() {}

    /** Codes in the core's table, OK (0) included. */
    static int count() {
        return Table.ROWS.length / Table.PER_CODE;
    }

    /** The upper-case name of a code, {@code UNKNOWN(n)} for an unknown one. */
    static String name(int code) {
        String name = Table.field(code, 0);
        return name != null ? name : "UNKNOWN(" + code + ")";
    }

    /** The code of an upper-case name ({@code "TIMEOUT"} → 5). */
    static int codeOf(String name) {
        for (int code = 0; code < count(); code++) {
            if (name(code).equals(name)) {
                return code;
            }
        }
        throw new IllegalArgumentException("no error code is named " + name);
    }

    /** The core's description of a code, null for an unknown one. */
    static String description(int code) {
        return Table.field(code, 1);
    }

    /** True when retrying later may succeed; false for unknown codes. */
    static boolean isTransient(int code) {
        return "true".equals(Table.field(code, 2));
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

package dev.edgemodule;

/** The environment, connection string, key or options are missing or malformed (code {@code CONFIG} = 2). */
public class ConfigException extends EdgeModuleException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong
     */
    public ConfigException(String message) {
        super(ErrorCodes.CONFIG, message, -1);
    }
}

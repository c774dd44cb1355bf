package dev.edgemodule;

import java.lang.System.Logger.Level;

/**
 * The core's log records in the {@code System.Logger} named {@code dev.edgemodule}: the
 * native library forwards the records up to the most verbose level that logger accepts
 * ({@link System.Logger#isLoggable}), read when the library loads, when a client is created
 * and by {@link ModuleClient#refreshLogLevel()}. Records arrive on the {@code edgemodule-log}
 * thread only.
 */
final class Logging {
    static final System.Logger LOG = System.getLogger("dev.edgemodule");

    /** The native level numbers: 1 error, 2 warning, 3 info, 4 debug, 5 trace. */
    private static final Level[] BY_NUMBER = {Level.OFF, Level.ERROR, Level.WARNING, Level.INFO, Level.DEBUG,
        Level.TRACE};

    /** The level last given to the native library (-1: none yet). */
    private static int current = -1;

    private Logging() {}

    /** The most verbose native level {@link #LOG} accepts; 0 when it accepts none. */
    static int threshold() {
        for (int n = BY_NUMBER.length - 1; n >= 1; n--) {
            if (LOG.isLoggable(BY_NUMBER[n])) {
                return n;
            }
        }
        return 0;
    }

    /** Tells the native library the level {@link #LOG} accepts now (when it changed). */
    static synchronized void sync() {
        int level = threshold();
        if (level == current) {
            return;
        }
        try {
            Native.setLogLevel(level);
            current = level;
        } catch (EdgeModuleException e) {
            LOG.log(Level.WARNING, "edgemodule cannot forward its log records: " + e.getMessage());
        }
    }

    /** One record from the native library (on its log thread). */
    static void log(int level, String text) {
        Level l = level >= 1 && level < BY_NUMBER.length ? BY_NUMBER[level] : Level.ERROR;
        if (LOG.isLoggable(l)) {
            LOG.log(l, text);
        }
    }
}

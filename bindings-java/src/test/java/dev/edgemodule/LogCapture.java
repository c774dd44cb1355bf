package dev.edgemodule;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Captures what reaches the {@code System.Logger} named {@code dev.edgemodule} through its
 * default backend, java.util.logging (the logger a module's SLF4J or JUL configuration
 * sees), with the thread each record was published on. Sets the logger's level while
 * installed; {@link #close()} restores it.
 */
final class LogCapture extends Handler implements AutoCloseable {
    /** One captured record. */
    static final class Entry {
        final Level level;
        final String message;
        final String thread;

        Entry(Level level, String message, String thread) {
            this.level = level;
            this.message = message;
            this.thread = thread;
        }

        @Override
        public String toString() {
            return level + " [" + thread + "] " + message;
        }
    }

    // Held strongly: java.util.logging keeps loggers only weakly.
    private final Logger logger = Logger.getLogger("dev.edgemodule");
    private final Level previous;
    final List<Entry> entries = new CopyOnWriteArrayList<>();

    LogCapture(Level level) {
        previous = logger.getLevel();
        logger.setLevel(level);
        setLevel(Level.ALL);
        logger.addHandler(this);
        ModuleClient.refreshLogLevel();
    }

    /** Changes the logger's level and tells edgemodule. */
    void level(Level level) {
        logger.setLevel(level);
        ModuleClient.refreshLogLevel();
    }

    /** True when a record's message contains every one of {@code parts}. */
    boolean has(String... parts) {
        return entries.stream().anyMatch(e -> contains(e, parts));
    }

    long count(String... parts) {
        return entries.stream().filter(e -> contains(e, parts)).count();
    }

    private static boolean contains(Entry e, String... parts) {
        for (String part : parts) {
            if (!e.message.contains(part)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void publish(LogRecord record) {
        entries.add(new Entry(record.getLevel(), record.getMessage(), Thread.currentThread().getName()));
    }

    @Override
    public void flush() {}

    @Override
    public void close() {
        logger.removeHandler(this);
        logger.setLevel(previous);
        ModuleClient.refreshLogLevel();
    }
}

package dev.edgemodule;

import java.lang.System.Logger.Level;
import java.util.concurrent.CompletableFuture;

/**
 * The Java methods the native library calls (their ids are cached when the library loads).
 * Each one catches what user code throws: nothing propagates back into native code. The
 * handler entry points ({@code onInput}, {@code onMethod}, {@code onDesired}, {@code onTopic})
 * run on the registration's own thread and report the callback's outcome; the core decides
 * what follows (acknowledgement, retry, the method failure reply).
 */
final class NativeCallbacks {
    private NativeCallbacks() {}

    /** Null when the message was handled, else why not. */
    static String onInput(Object dispatcher, String input, byte[] body, String[] system, String[] properties) {
        return ((Dispatcher) dispatcher).onInput(input, body, system, properties);
    }

    /** {@code {status, json}} when answered, {@code {why}} when the handler failed. */
    static String[] onMethod(Object dispatcher, String slot, String name, String payload) {
        return ((Dispatcher) dispatcher).onMethod(slot, name, payload);
    }

    /** Null when the patch was handled, else why not. */
    static String onDesired(Object dispatcher, String patch, long version) {
        return ((Dispatcher) dispatcher).onDesired(patch, version);
    }

    /** Null when the message was handled, else why not. */
    static String onTopic(Object dispatcher, long id, String topic, byte[] payload) {
        return ((Dispatcher) dispatcher).onTopic(id, topic, payload);
    }

    static void onStatus(Object dispatcher, int state, int reason) {
        ((Dispatcher) dispatcher).onStatus(state, reason);
    }

    static void onBackgroundError(Object dispatcher, String kind, String family, String name, String message) {
        ((Dispatcher) dispatcher).onBackgroundError(kind, family, name, message);
    }

    @SuppressWarnings("unchecked")
    static void complete(Object future, String value) {
        enter(future);
        try {
            ((CompletableFuture<Object>) future).complete(value);
        } catch (Throwable t) {
            Logging.LOG.log(Level.WARNING, "a continuation of an edgemodule future threw", t);
        }
    }

    static void fail(Object future, int code, String message, int status) {
        enter(future);
        try {
            ((CompletableFuture<?>) future).completeExceptionally(ErrorCodes.exception(code, message, status));
        } catch (Throwable t) {
            Logging.LOG.log(Level.WARNING, "a continuation of an edgemodule future threw", t);
        }
    }

    /** Records the callback thread before continuations of the future run on it. */
    private static void enter(Object future) {
        if (future instanceof EdgeFuture) {
            ((EdgeFuture<?>) future).enterCallbackThread();
        }
    }

    /** The exception a native method throws for an error. */
    static Throwable error(int code, String message, int status) {
        return ErrorCodes.exception(code, message, status);
    }

    /** A record of the core's log (on the {@code edgemodule-log} thread). */
    static void log(int level, String text) {
        try {
            Logging.log(level, text);
        } catch (Throwable t) {
            // A logger that throws loses its record, nothing else.
        }
    }
}

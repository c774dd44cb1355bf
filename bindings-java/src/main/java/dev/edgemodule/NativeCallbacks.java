package dev.edgemodule;

import java.lang.System.Logger.Level;
import java.util.concurrent.CompletableFuture;

/**
 * The Java methods the native library calls (their ids are cached when the library loads).
 * Each one catches what user code throws: nothing propagates back into native code.
 */
final class NativeCallbacks {
    static final System.Logger LOG = System.getLogger("dev.edgemodule");

    private NativeCallbacks() {}

    static int onInput(Object dispatcher, String input, byte[] body, String[] system, String[] properties) {
        return ((Dispatcher) dispatcher).onInput(input, body, system, properties);
    }

    static String[] onMethod(Object dispatcher, String slot, String name, String payload) {
        return ((Dispatcher) dispatcher).onMethod(slot, name, payload);
    }

    static void onDesired(Object dispatcher, String patch, long version) {
        ((Dispatcher) dispatcher).onDesired(patch, version);
    }

    static void onStatus(Object dispatcher, int state, int reason) {
        ((Dispatcher) dispatcher).onStatus(state, reason);
    }

    static void onTopic(Object dispatcher, long id, String topic, byte[] payload) {
        ((Dispatcher) dispatcher).onTopic(id, topic, payload);
    }

    @SuppressWarnings("unchecked")
    static void complete(Object future, String value) {
        enter(future);
        try {
            ((CompletableFuture<Object>) future).complete(value);
        } catch (Throwable t) {
            LOG.log(Level.WARNING, "a continuation of an edgemodule future threw", t);
        }
    }

    static void fail(Object future, int code, String message, int status) {
        enter(future);
        try {
            ((CompletableFuture<?>) future).completeExceptionally(ErrorCodes.exception(code, message, status));
        } catch (Throwable t) {
            LOG.log(Level.WARNING, "a continuation of an edgemodule future threw", t);
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

    /** A log line from the native library: 1 error, 2 warning, 3 info, 4 debug. */
    static void log(int level, String message) {
        Level l = level <= 1 ? Level.ERROR : level == 2 ? Level.WARNING : level == 3 ? Level.INFO : Level.DEBUG;
        LOG.log(l, message);
    }
}

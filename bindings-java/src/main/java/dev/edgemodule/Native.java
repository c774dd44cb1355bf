package dev.edgemodule;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;

/**
 * The native methods of {@code libedgemodule_jni}. Every operation that takes a
 * {@code future} runs asynchronously when it is non-null (the future is completed on the
 * client's callback thread; the method returns null at once) and blocks when it is null
 * (returning the result, or throwing an {@link EdgeModuleException}).
 *
 * <p>The library exports each method under its JNI long name (the parameter types mangled
 * into the symbol); {@code NativeExportsTest} compares these declarations with the symbols.
 */
final class Native {
    /** Where {@link #create} reads the identity from. */
    static final int SOURCE_PROCESS_ENVIRONMENT = 0;
    static final int SOURCE_ENVIRONMENT_MAP = 1;
    static final int SOURCE_CONNECTION_STRING = 2;

    /** How long the JVM shutdown hook lets edgemodule close clients and join its threads. */
    static final long SHUTDOWN_HOOK_MILLIS = 3000;

    static {
        NativeLoader.load();
        String expected = expectedVersion();
        String actual = version();
        if (expected != null && !expected.equals(actual)) {
            throw new UnsatisfiedLinkError("the edgemodule native library is version " + actual
                    + " but the Java classes are version " + expected
                    + " (a stale library on java.library.path?)");
        }
        Logging.sync();
        if (!Boolean.getBoolean("edgemodule.noShutdownHook")) {
            Runtime.getRuntime().addShutdownHook(new Thread(
                    () -> shutdown(SHUTDOWN_HOOK_MILLIS), "edgemodule-shutdown"));
        }
    }

    private Native() {}

    /** Forces the library to load (and fails with UnsatisfiedLinkError if it cannot). */
    static void ensureLoaded() {}

    private static String expectedVersion() {
        try (InputStream in = Native.class.getResourceAsStream("edgemodule.properties")) {
            if (in == null) {
                return null;
            }
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty("version");
            return v == null || v.startsWith("${") ? null : v;
        } catch (IOException e) {
            return null;
        }
    }

    static native String version();

    static native long create(int source, String connectionString, String[] environment, String[] options);

    static native void free(long handle);

    /** Closes; from one of the client's callbacks it starts the close and returns at once. */
    static native void close(long handle);

    static native String deviceId(long handle);

    static native String moduleId(long handle);

    /** {@code [state, reason]} codes. */
    static native int[] status(long handle);

    static native String connect(long handle, CompletableFuture<?> future);

    static native String sendOutput(long handle, String output, byte[] body, String[] system,
            String[] properties, CompletableFuture<?> future);

    static native String sendOutputBatch(long handle, String output, byte[][] bodies,
            String[][] systems, String[][] properties, CompletableFuture<?> future);

    /** A batch of messages that set no property: their bodies one after another, with their lengths. */
    static native String sendOutputBodies(long handle, String output, byte[] bodies, int[] lengths,
            CompletableFuture<?> future);

    static native String getTwin(long handle, CompletableFuture<?> future);

    static native String patchReported(long handle, String json, CompletableFuture<?> future);

    /** The answer as {@code {"status":n,"payload":...}}. */
    static native String invokeMethod(long handle, String deviceId, String moduleId, String method,
            String payloadJson, long responseTimeoutMillis, long connectTimeoutMillis,
            CompletableFuture<?> future);

    static native String publish(long handle, String topic, byte[] payload, int qos,
            CompletableFuture<?> future);

    /** Subscribes with the dispatcher's topic callback {@code id} as the handler. */
    static native String subscribe(long handle, Object dispatcher, long id, String filter,
            CompletableFuture<?> future);

    /** Ends subscription {@code id}; returns once the hub confirmed the UNSUBSCRIBE. */
    static native void unsubscribe(long handle, long id);

    /**
     * Registers ({@code on}) the core handler of input {@code input} (null: the default
     * handler), calling the dispatcher's callback of that slot; or removes it.
     */
    static native void setInputHandler(long handle, Object dispatcher, String input, boolean on);

    /** As {@link #setInputHandler}, for method {@code method} (null: the default handler). */
    static native void setMethodHandler(long handle, Object dispatcher, String method, boolean on);

    static native void setDesiredHandler(long handle, Object dispatcher, boolean on);

    /** Status changes from now on, to the dispatcher (on the client's callback thread). */
    static native void listenStatus(long handle, Object dispatcher, boolean on);

    /** Background errors from now on, to the dispatcher (on the client's callback thread). */
    static native void listenBackgroundErrors(long handle, Object dispatcher, boolean on);

    /** The core's error table: {@code {name, description, "true"|"false"}} per code, OK first. */
    static native String[] errorTable();

    /** The hub's twin JSON read and written again by the core (a test seam: twin.json). */
    static native String twinJson(String hubJson);

    /** Forwards the core's records up to {@code level} (1 error .. 5 trace, 0 off). */
    static native void setLogLevel(int level);

    /** Panics on purpose (tests only): 0 in the native method, 1 inside the operation. */
    static native String testPanic(long handle, int where, CompletableFuture<?> future);

    /** Closes every client and stops edgemodule's threads; final for this JVM. */
    static native void shutdown(long timeoutMillis);
}

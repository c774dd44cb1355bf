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

    static native String getTwin(long handle, CompletableFuture<?> future);

    static native String patchReported(long handle, String json, CompletableFuture<?> future);

    /** The answer as {@code {"status":n,"payload":...}}. */
    static native String invokeMethod(long handle, String deviceId, String moduleId, String method,
            String payloadJson, long responseTimeoutMillis, long connectTimeoutMillis,
            CompletableFuture<?> future);

    static native String publish(long handle, String topic, byte[] payload, int qos,
            CompletableFuture<?> future);

    static native String subscribe(long handle, Object dispatcher, long id, String filter,
            CompletableFuture<?> future);

    static native void unsubscribe(long handle, long id);

    /** Starts ({@code on}) or stops delivering input {@code input} (null: the default). */
    static native void listenInput(long handle, Object dispatcher, String input, boolean on);

    static native void listenMethod(long handle, Object dispatcher, String method, boolean on);

    static native void listenDesired(long handle, Object dispatcher, boolean on);

    static native void listenStatus(long handle, Object dispatcher, boolean on);

    /** Panics on purpose (tests only): 0 in the native method, 1 inside the operation. */
    static native String testPanic(long handle, int where, CompletableFuture<?> future);

    /** Closes every client and stops edgemodule's threads; final for this JVM. */
    static native void shutdown(long timeoutMillis);
}

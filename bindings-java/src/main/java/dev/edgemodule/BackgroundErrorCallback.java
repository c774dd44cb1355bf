package dev.edgemodule;

/**
 * Receives the {@link BackgroundError}s of a client
 * ({@link ModuleClient#setBackgroundErrorCallback}). Runs on the client's callback thread;
 * what it throws is logged and ignored.
 */
@FunctionalInterface
public interface BackgroundErrorCallback {
    /**
     * Handles one background error.
     *
     * @param error what went wrong
     */
    void onBackgroundError(BackgroundError error);
}

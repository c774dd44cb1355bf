package dev.edgemodule;

/**
 * Follows the connection status ({@link ModuleClient#setConnectionStatusChangeCallback}). Runs
 * on the client's callback thread for every change after registration. Unlike the official
 * SDK, a non-retryable failure is not reported as {@code DISCONNECTED_RETRYING}: refused
 * credentials give {@code DISCONNECTED} / {@code BAD_CREDENTIAL} at once, and retries (which
 * by default never expire) that ran out give {@code DISCONNECTED} / {@code RETRY_EXPIRED}.
 * In both cases the client has stopped; create a new one.
 */
@FunctionalInterface
public interface IotHubConnectionStatusChangeCallback {
    /**
     * Handles one change.
     *
     * @param context the new status, the previous one and the reason
     */
    void onStatusChanged(ConnectionStatusChangeContext context);
}

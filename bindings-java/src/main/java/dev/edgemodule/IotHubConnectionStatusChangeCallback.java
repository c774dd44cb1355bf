package dev.edgemodule;

/**
 * Follows the connection status ({@link ModuleClient#setConnectionStatusChangeCallback}). Runs
 * on the client's callback thread for every change after registration. Unlike the official
 * SDK, a refused credential is reported as {@code DISCONNECTED} / {@code BAD_CREDENTIAL} (no
 * pointless retrying), and a client whose retries expired can simply be opened again.
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

package dev.edgemodule;

/** Where the connection to the hub is. */
public enum IotHubConnectionStatus {
    /** Not connected and not retrying (not opened yet, bad credentials, retries expired). */
    DISCONNECTED,
    /** Connected, subscribed and ready. */
    CONNECTED,
    /** Not connected; the client is reconnecting in the background. */
    DISCONNECTED_RETRYING,
    /** The client was closed. */
    CLOSED;

    private static final IotHubConnectionStatus[] BY_CODE = values();

    static IotHubConnectionStatus fromCode(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : DISCONNECTED;
    }
}

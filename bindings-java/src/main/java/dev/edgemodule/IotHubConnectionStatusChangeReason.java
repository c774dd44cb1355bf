package dev.edgemodule;

/** Why the connection status last changed. */
public enum IotHubConnectionStatusChangeReason {
    /** Nothing wrong. */
    CONNECTION_OK,
    /** The SAS token expired (or its renewal failed). */
    EXPIRED_SAS_TOKEN,
    /** The hub refused the credentials; the client does not retry. */
    BAD_CREDENTIAL,
    /** The hub could not be reached. */
    NO_NETWORK,
    /** Reconnecting stopped after {@link ClientOptions#retryGiveUpAfter}. */
    RETRY_EXPIRED,
    /** The connection broke or the hub misbehaved. */
    COMMUNICATION_ERROR,
    /** The application closed the client. */
    CLIENT_CLOSE;

    private static final IotHubConnectionStatusChangeReason[] BY_CODE = values();

    static IotHubConnectionStatusChangeReason fromCode(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : COMMUNICATION_ERROR;
    }
}

package dev.edgemodule;

/** What a {@link MessageCallback} did with a message; decides whether it is delivered again. */
public enum IotHubMessageResult {
    /** Processed: acknowledge it; the hub forgets it. */
    COMPLETE,
    /**
     * Not processed: it is delivered again after the redelivery delay
     * ({@link ClientOptions#redeliveryDelay}). Throwing from the callback does the same.
     */
    ABANDON,
    /**
     * Refused: acknowledged without processing, never delivered again (MQTT has no separate
     * reject; the hub forgets the message as for {@link #COMPLETE}).
     */
    REJECT
}

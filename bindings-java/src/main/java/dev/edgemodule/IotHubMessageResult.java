package dev.edgemodule;

/**
 * What a {@link MessageCallback} did with a message. The native core decides what follows,
 * the same way in every language (docs/delivery.md):
 */
public enum IotHubMessageResult {
    /** Processed: the message is acknowledged (in arrival order); the hub forgets it. */
    COMPLETE,
    /**
     * Not processed: a failed attempt, as if the callback threw. The same message is given to
     * the callback again after {@link ClientOptions#redeliveryDelay} (doubling each time),
     * {@link ClientOptions#handlerAttempts} calls in all; after the last one it is
     * acknowledged, dropped and reported as {@link BackgroundError.Kind#HANDLER_FAILED}. Later
     * messages of the same input wait meanwhile.
     */
    ABANDON,
    /**
     * Refused: acknowledged like {@link #COMPLETE} and never delivered again (MQTT has no
     * negative acknowledgement, so the hub cannot dead-letter it; nothing is reported).
     */
    REJECT
}

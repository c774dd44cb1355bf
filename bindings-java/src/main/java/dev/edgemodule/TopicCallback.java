package dev.edgemodule;

/**
 * Receives messages published on a user-defined MQTT topic ({@link ModuleClient#subscribe}).
 * Runs on the subscription's own thread, one message at a time, in arrival order; the
 * message is acknowledged when the callback returns. One that throws is called again with
 * the same message, as a {@link MessageCallback} is.
 */
@FunctionalInterface
public interface TopicCallback {
    /**
     * Handles one message.
     *
     * @param topic the topic it was published to
     * @param payload the payload
     */
    void onMessage(String topic, byte[] payload);
}

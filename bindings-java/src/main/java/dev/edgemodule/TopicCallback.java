package dev.edgemodule;

/** Receives messages published on a user-defined MQTT topic ({@link ModuleClient#subscribe}). */
@FunctionalInterface
public interface TopicCallback {
    /**
     * Handles one message. Runs on the client's callback thread.
     *
     * @param topic the topic it was published to
     * @param payload the payload
     */
    void onMessage(String topic, byte[] payload);
}

package dev.edgemodule;

/**
 * Receives messages from an input ({@link ModuleClient#setMessageCallback(String,
 * MessageCallback)}) or from every input without its own callback
 * ({@link ModuleClient#setMessageCallback(MessageCallback)}).
 *
 * <p>Runs on the client's callback thread, one message at a time. The message is
 * acknowledged only after the callback returns {@link IotHubMessageResult#COMPLETE}
 * (at-least-once processing): if it returns {@link IotHubMessageResult#ABANDON} or throws, the
 * message is delivered again; if the process dies first, the hub delivers it again after the
 * module reconnects.
 */
@FunctionalInterface
public interface MessageCallback {
    /**
     * Handles one message.
     *
     * @param message the message; {@link Message#getInputName()} names its input
     * @return what to do with it
     */
    IotHubMessageResult onMessageReceived(Message message);
}

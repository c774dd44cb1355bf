package dev.edgemodule;

/**
 * Receives messages from an input ({@link ModuleClient#setMessageCallback(String,
 * MessageCallback)}) or from every input without its own callback
 * ({@link ModuleClient#setMessageCallback(MessageCallback)}).
 *
 * <p>Runs on the registration's own thread, one message at a time, in arrival order. The
 * message is acknowledged when the callback returns {@link IotHubMessageResult#COMPLETE} or
 * {@link IotHubMessageResult#REJECT} (at-least-once processing: if the process dies first,
 * the hub delivers it again after the module reconnects). Returning
 * {@link IotHubMessageResult#ABANDON} or null, or throwing, is a failed attempt: see
 * {@link IotHubMessageResult#ABANDON}. Keep a call well under 30 s (edgeHub's
 * acknowledgement timeout): a slower one is reported as
 * {@link BackgroundError.Kind#SLOW_HANDLER} and edgeHub sends the message again.
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

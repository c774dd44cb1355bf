using System.Threading.Tasks;

namespace EdgeModule
{
    /// <summary>What an input message handler decided.</summary>
    public enum MessageResponse
    {
        /// <summary>No decision: counts as a failure, as <see cref="Abandoned"/>.</summary>
        None = 0,
        /// <summary>Processed: the hub forgets the message.</summary>
        Completed = 1,
        /// <summary>
        /// Not processed: a failure. The core calls the handler again with the message after
        /// <see cref="ClientOptions.RedeliveryDelay"/> (doubling), up to
        /// <see cref="ClientOptions.HandlerAttempts"/> calls, then acknowledges and drops it and
        /// raises <see cref="ModuleClient.BackgroundError"/>.
        /// </summary>
        Abandoned = 2,
    }

    /// <summary>
    /// Handles a message from an input: one message at a time per handler, in arrival order.
    /// A thrown exception or a faulted task is a failure, as <see cref="MessageResponse.Abandoned"/>.
    /// </summary>
    public delegate Task<MessageResponse> MessageHandler(Message message, object userContext);

    /// <summary>
    /// Handles a direct-method call: one call at a time per handler. A thrown exception, a
    /// faulted task or a null answer gets the core's failure reply (500,
    /// <c>{"error":"HANDLER_FAILED","message":"the method handler failed"}</c>) and raises
    /// <see cref="ModuleClient.BackgroundError"/>.
    /// </summary>
    public delegate Task<MethodResponse> MethodCallback(MethodRequest methodRequest, object userContext);

    /// <summary>
    /// Handles a desired-properties patch (with its <c>$version</c> in
    /// <see cref="TwinCollection.Version"/>), one at a time, in order; a failure is retried as
    /// for input messages.
    /// </summary>
    public delegate Task DesiredPropertyUpdateCallback(TwinCollection desiredProperties, object userContext);

    /// <summary>Handles a connection status change.</summary>
    public delegate void ConnectionStatusChangesHandler(ConnectionStatus status, ConnectionStatusChangeReason reason);

    /// <summary>
    /// Handles a message on a subscribed user topic, one at a time, in order; the message is
    /// acknowledged once the task succeeded (a failure is retried as for input messages).
    /// </summary>
    public delegate Task TopicMessageHandler(TopicMessage message, object userContext);
}

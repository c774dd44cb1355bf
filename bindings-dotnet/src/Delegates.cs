using System.Threading.Tasks;

namespace EdgeModule
{
    /// <summary>What an input message handler decided.</summary>
    public enum MessageResponse
    {
        /// <summary>
        /// No decision. edgemodule has no separate completion call, so this counts as
        /// <see cref="Abandoned"/>: the message is delivered again.
        /// </summary>
        None = 0,
        /// <summary>Processed: the hub forgets the message.</summary>
        Completed = 1,
        /// <summary>Not processed: the message is delivered again after the redelivery delay.</summary>
        Abandoned = 2,
    }

    /// <summary>Handles a message from an input. A thrown exception or a faulted task abandons the message.</summary>
    public delegate Task<MessageResponse> MessageHandler(Message message, object userContext);

    /// <summary>Handles a direct-method call. A thrown exception or a faulted task answers 500.</summary>
    public delegate Task<MethodResponse> MethodCallback(MethodRequest methodRequest, object userContext);

    /// <summary>Handles a desired-properties patch (with its <c>$version</c> in <see cref="TwinCollection.Version"/>).</summary>
    public delegate Task DesiredPropertyUpdateCallback(TwinCollection desiredProperties, object userContext);

    /// <summary>Handles a connection status change.</summary>
    public delegate void ConnectionStatusChangesHandler(ConnectionStatus status, ConnectionStatusChangeReason reason);

    /// <summary>Handles a message on a subscribed user topic.</summary>
    public delegate Task TopicMessageHandler(TopicMessage message, object userContext);
}

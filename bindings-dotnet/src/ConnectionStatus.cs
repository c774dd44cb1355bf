namespace EdgeModule
{
    /// <summary>The connection state (names as in Microsoft.Azure.Devices.Client).</summary>
    public enum ConnectionStatus
    {
        /// <summary>Not connected and not retrying (not opened yet, bad credentials, retries expired).</summary>
        Disconnected = 0,
        /// <summary>Connected, subscribed and ready.</summary>
        Connected = 1,
        /// <summary>Not connected; retrying in the background.</summary>
        Disconnected_Retrying = 2,
        /// <summary>The client was closed.</summary>
        Disabled = 3,
    }

    /// <summary>Why the connection state changed (names as in Microsoft.Azure.Devices.Client).</summary>
    public enum ConnectionStatusChangeReason
    {
        /// <summary>Nothing wrong.</summary>
        Connection_Ok = 0,
        /// <summary>The SAS token expired (or its renewal failed).</summary>
        Expired_SAS_Token = 1,
        /// <summary>The hub refused the credentials.</summary>
        Bad_Credential = 2,
        /// <summary>The hub could not be reached.</summary>
        No_Network = 3,
        /// <summary>Reconnecting stopped after <see cref="ClientOptions.RetryGiveUpAfter"/>.</summary>
        Retry_Expired = 4,
        /// <summary>The connection broke or the peer misbehaved.</summary>
        Communication_Error = 5,
        /// <summary>The application closed the client.</summary>
        Client_Close = 6,
    }

    /// <summary>A connection status and the reason for it.</summary>
    public struct ConnectionStatusInfo
    {
        /// <summary>Creates the pair.</summary>
        public ConnectionStatusInfo(ConnectionStatus status, ConnectionStatusChangeReason reason)
        {
            Status = status;
            ChangeReason = reason;
        }

        /// <summary>The state.</summary>
        public ConnectionStatus Status { get; private set; }

        /// <summary>Why the client is in that state.</summary>
        public ConnectionStatusChangeReason ChangeReason { get; private set; }

        /// <summary>"Status (Reason)".</summary>
        public override string ToString()
        {
            return Status + " (" + ChangeReason + ")";
        }
    }

    /// <summary>Quality of service of a user-topic publish.</summary>
    public enum QualityOfService
    {
        /// <summary>Fire and forget: the publish completes once written.</summary>
        AtMostOnce = 0,
        /// <summary>The publish completes on the hub's acknowledgement.</summary>
        AtLeastOnce = 1,
    }
}

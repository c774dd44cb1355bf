using EdgeModule.Native;

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
        /// <summary><c>OK</c> (descriptions: <see cref="ConnectionStatusInfo.ReasonDescription"/>).</summary>
        Connection_Ok = 0,
        /// <summary><c>EXPIRED_SAS_TOKEN</c>.</summary>
        Expired_SAS_Token = 1,
        /// <summary><c>BAD_CREDENTIAL</c>.</summary>
        Bad_Credential = 2,
        /// <summary><c>NO_NETWORK</c>.</summary>
        No_Network = 3,
        /// <summary><c>RETRY_EXPIRED</c>: reconnecting stopped after <see cref="ClientOptions.RetryGiveUpAfter"/>.</summary>
        Retry_Expired = 4,
        /// <summary><c>COMMUNICATION_ERROR</c>.</summary>
        Communication_Error = 5,
        /// <summary><c>CLIENT_CLOSE</c>: the application closed the client.</summary>
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

        /// <summary>The state as every language spells it (<c>"DISCONNECTED_RETRYING"</c>, …; the core's name).</summary>
        public string StatusName
        {
            get { return Utf8.FromNulTerminated(NativeMethods.edgemodule_state_name((int)Status)); }
        }

        /// <summary>The reason as every language spells it (<c>"RETRY_EXPIRED"</c>, …; the core's name).</summary>
        public string ReasonName
        {
            get { return Utf8.FromNulTerminated(NativeMethods.edgemodule_reason_name((int)ChangeReason)); }
        }

        /// <summary>The reason's description, from the core's table.</summary>
        public string ReasonDescription
        {
            get { return Utf8.FromNulTerminated(NativeMethods.edgemodule_reason_description((int)ChangeReason)); }
        }

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

using System;

namespace EdgeModule
{
    /// <summary>
    /// Options for creating a <see cref="ModuleClient"/>. Every property left unset
    /// (null / 0) means edgemodule's default.
    /// </summary>
    public sealed class ClientOptions
    {
        /// <summary>
        /// PEM trust bundle of the gateway's certificate. Unset: <see cref="TrustBundleFile"/>,
        /// else the workload API or the file named by <c>EdgeModuleCACertificateFile</c>.
        /// </summary>
        public string TrustBundlePem { get; set; }

        /// <summary>A PEM file with the gateway's trust bundle (read when <see cref="TrustBundlePem"/> is unset).</summary>
        public string TrustBundleFile { get; set; }

        /// <summary>Appended to the client type in the MQTT user name.</summary>
        public string ProductInfo { get; set; }

        /// <summary>Digital-twin model id (<c>dtmi:…</c>).</summary>
        public string ModelId { get; set; }

        /// <summary>Gateway MQTT port (0: <c>EDGEMODULE_MQTT_PORT</c>, else 8883).</summary>
        public int MqttPort { get; set; }

        /// <summary>Gateway HTTPS port for <see cref="ModuleClient.InvokeMethodAsync(string, string, MethodRequest)"/> (0: <c>EDGEMODULE_HTTPS_PORT</c>, else 443).</summary>
        public int HttpsPort { get; set; }

        /// <summary>Most QoS 1 publishes awaiting acknowledgement at once (0: 100).</summary>
        public int MaxInflight { get; set; }

        /// <summary>Timeout of every operation (null: 30 s). Same as the official SDK's <c>OperationTimeoutInMilliseconds</c>.</summary>
        public TimeSpan? OperationTimeout { get; set; }

        /// <summary>MQTT keep-alive (null: 60 s).</summary>
        public TimeSpan? KeepAlive { get; set; }

        /// <summary>Lifetime of each SAS token, renewed at 80 % (null: 1 h).</summary>
        public TimeSpan? SasTokenTimeToLive { get; set; }

        /// <summary>Delay before an abandoned input message is delivered again (null: 500 ms).</summary>
        public TimeSpan? RedeliveryDelay { get; set; }

        /// <summary>First reconnect delay (null: 100 ms).</summary>
        public TimeSpan? RetryInitialDelay { get; set; }

        /// <summary>Longest reconnect delay (null: 10 s).</summary>
        public TimeSpan? RetryMaxDelay { get; set; }

        /// <summary>Stop reconnecting after this long disconnected (null: never give up).</summary>
        public TimeSpan? RetryGiveUpAfter { get; set; }

        internal static uint Millis(TimeSpan? value, string name)
        {
            if (!value.HasValue)
            {
                return 0;
            }
            double ms = value.Value.TotalMilliseconds;
            if (ms < 1 || ms > uint.MaxValue)
            {
                throw new ArgumentOutOfRangeException(name, "must be between 1 ms and 49 days");
            }
            return (uint)ms;
        }

        internal static uint Seconds(TimeSpan? value, string name)
        {
            if (!value.HasValue)
            {
                return 0;
            }
            double s = value.Value.TotalSeconds;
            if (s < 1 || s > uint.MaxValue)
            {
                throw new ArgumentOutOfRangeException(name, "must be at least 1 s");
            }
            return (uint)s;
        }

        internal static ushort Port(int port, string name)
        {
            if (port < 0 || port > 65535)
            {
                throw new ArgumentOutOfRangeException(name, "must be 0–65535");
            }
            return (ushort)port;
        }
    }
}

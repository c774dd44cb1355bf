using System;
using System.Collections.Generic;

namespace EdgeModule
{
    /// <summary>
    /// Options for creating a <see cref="ModuleClient"/>. A property left unset (null) takes the
    /// core's default (or its <c>EDGEMODULE_*</c> variable). Each one maps to one option of the
    /// core's table (docs/core-policies.md §3, named in each property's summary); only the
    /// representation is converted (a <see cref="TimeSpan"/> to milliseconds or seconds). The
    /// core checks every value: out of range or fractional where a whole number is needed
    /// fails the creation with <see cref="InvalidArgumentException"/> naming the option.
    /// </summary>
    public sealed class ClientOptions
    {
        /// <summary>
        /// <c>trust_bundle_pem</c>: PEM trust bundle of the gateway's certificate. Unset:
        /// <see cref="TrustBundleFile"/>, else the workload API (IoT Edge environment) or the
        /// file named by <c>EdgeModuleCACertificateFile</c> (connection strings).
        /// </summary>
        public string TrustBundlePem { get; set; }

        /// <summary><c>trust_bundle_file</c>: a PEM file with the gateway's trust bundle (read by the core).</summary>
        public string TrustBundleFile { get; set; }

        /// <summary><c>product_info</c>: appended to the client type in the MQTT user name.</summary>
        public string ProductInfo { get; set; }

        /// <summary><c>model_id</c>: digital-twin model id (<c>dtmi:…</c>).</summary>
        public string ModelId { get; set; }

        /// <summary><c>mqtt_port</c>: gateway MQTT port (unset: <c>EDGEMODULE_MQTT_PORT</c>, else 8883).</summary>
        public int? MqttPort { get; set; }

        /// <summary><c>https_port</c>: gateway HTTPS port for <see cref="ModuleClient.InvokeMethodAsync(string, string, MethodRequest)"/> (unset: <c>EDGEMODULE_HTTPS_PORT</c>, else 443).</summary>
        public int? HttpsPort { get; set; }

        /// <summary><c>max_inflight</c>: most QoS 1 publishes awaiting acknowledgement at once.</summary>
        public int? MaxInflight { get; set; }

        /// <summary><c>operation_timeout_ms</c>: timeout of every operation. Same as the official SDK's <c>OperationTimeoutInMilliseconds</c>.</summary>
        public TimeSpan? OperationTimeout { get; set; }

        /// <summary><c>keep_alive_secs</c>: MQTT keep-alive (whole seconds).</summary>
        public TimeSpan? KeepAlive { get; set; }

        /// <summary><c>sas_ttl_secs</c>: lifetime of each SAS token the client signs (whole seconds).</summary>
        public TimeSpan? SasTokenTimeToLive { get; set; }

        /// <summary><c>sas_renewal_percent</c>: how far into a token's lifetime it is renewed.</summary>
        public int? SasTokenRenewalPercent { get; set; }

        /// <summary>
        /// <c>redelivery_delay_ms</c>: wait before a failed input, desired or topic handler is
        /// called again with the same item; it doubles for each further attempt.
        /// </summary>
        public TimeSpan? RedeliveryDelay { get; set; }

        /// <summary>
        /// <c>handler_attempts</c>: calls of an input, desired or topic handler per item before
        /// the item is acknowledged, dropped and reported as
        /// <see cref="BackgroundErrorKind.HandlerFailed"/>.
        /// </summary>
        public int? HandlerAttempts { get; set; }

        /// <summary><c>retry_initial_delay_ms</c>: first reconnect delay.</summary>
        public TimeSpan? RetryInitialDelay { get; set; }

        /// <summary><c>retry_max_delay_ms</c>: longest reconnect delay.</summary>
        public TimeSpan? RetryMaxDelay { get; set; }

        /// <summary><c>retry_multiplier</c>: how much each reconnect delay grows.</summary>
        public double? RetryMultiplier { get; set; }

        /// <summary><c>retry_jitter</c>: the random fraction (0–1) taken off each reconnect delay.</summary>
        public double? RetryJitter { get; set; }

        /// <summary><c>retry_give_up_after_ms</c>: stop reconnecting after this long disconnected (unset: never).</summary>
        public TimeSpan? RetryGiveUpAfter { get; set; }

        /// <summary>
        /// Receives this client's log records (those naming its module, and those naming no
        /// module) up to <see cref="LoggerLevel"/>, as
        /// <c>Microsoft.Extensions.Logging.ILogger.Log(level, message)</c> would: e.g.
        /// <c>(level, message) =&gt; logger.Log((Microsoft.Extensions.Logging.LogLevel)level, message)</c>.
        /// Called on edgemodule's log thread; an exception it throws is dropped.
        /// </summary>
        public Action<LogLevel, string> Logger { get; set; }

        /// <summary>The most verbose level passed to <see cref="Logger"/> (default <see cref="LogLevel.Information"/>).</summary>
        public LogLevel LoggerLevel { get; set; } = LogLevel.Information;

        /// <summary>The options that are set as one JSON object for the core (null when none is set).</summary>
        internal string ToCoreOptionsJson()
        {
            List<KeyValuePair<string, object>> set = ToCoreOptions();
            if (set.Count == 0)
            {
                return null;
            }
            var sb = new System.Text.StringBuilder("{");
            foreach (KeyValuePair<string, object> option in set)
            {
                if (sb.Length > 1)
                {
                    sb.Append(',');
                }
                Json.WriteString(sb, option.Key);
                sb.Append(':');
                Json.Write(sb, option.Value, 0);
            }
            return sb.Append('}').ToString();
        }

        /// <summary>The options that are set, by the core's names, in the core's units.</summary>
        internal List<KeyValuePair<string, object>> ToCoreOptions()
        {
            var set = new List<KeyValuePair<string, object>>();
            Add(set, "mqtt_port", MqttPort);
            Add(set, "https_port", HttpsPort);
            Add(set, "operation_timeout_ms", Milliseconds(OperationTimeout));
            Add(set, "keep_alive_secs", Seconds(KeepAlive));
            Add(set, "sas_ttl_secs", Seconds(SasTokenTimeToLive));
            Add(set, "sas_renewal_percent", SasTokenRenewalPercent);
            Add(set, "max_inflight", MaxInflight);
            Add(set, "redelivery_delay_ms", Milliseconds(RedeliveryDelay));
            Add(set, "handler_attempts", HandlerAttempts);
            Add(set, "retry_initial_delay_ms", Milliseconds(RetryInitialDelay));
            Add(set, "retry_max_delay_ms", Milliseconds(RetryMaxDelay));
            Add(set, "retry_multiplier", RetryMultiplier);
            Add(set, "retry_jitter", RetryJitter);
            Add(set, "retry_give_up_after_ms", Milliseconds(RetryGiveUpAfter));
            Add(set, "trust_bundle_pem", TrustBundlePem);
            Add(set, "trust_bundle_file", TrustBundleFile);
            Add(set, "product_info", ProductInfo);
            Add(set, "model_id", ModelId);
            return set;
        }

        private static void Add(List<KeyValuePair<string, object>> set, string name, object value)
        {
            if (value != null)
            {
                set.Add(new KeyValuePair<string, object>(name, value));
            }
        }

        /// <summary>A duration in milliseconds as the core reads a number (a fraction is refused by the core).</summary>
        internal static object Milliseconds(TimeSpan? value)
        {
            return value.HasValue ? Number(value.Value.Ticks / (double)TimeSpan.TicksPerMillisecond) : null;
        }

        private static object Seconds(TimeSpan? value)
        {
            return value.HasValue ? Number(value.Value.Ticks / (double)TimeSpan.TicksPerSecond) : null;
        }

        /// <summary>A whole number as an integer, anything else as the double it is.</summary>
        private static object Number(double value)
        {
            if (Math.Floor(value) == value && Math.Abs(value) < 9e15)
            {
                return (long)value;
            }
            return value;
        }
    }
}

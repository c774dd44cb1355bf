using System;
using System.Text;

namespace EdgeModule
{
    /// <summary>
    /// A direct-method call: received by a <see cref="MethodCallback"/>, or built to call
    /// another module with <see cref="ModuleClient.InvokeMethodAsync(string, string, MethodRequest)"/>.
    /// </summary>
    public sealed class MethodRequest
    {
        private readonly byte[] data;

        /// <summary>A call of <paramref name="methodName"/> without a payload.</summary>
        public MethodRequest(string methodName) : this(methodName, (byte[])null) { }

        /// <summary>A call with a JSON payload given as UTF-8 bytes (null: no payload).</summary>
        public MethodRequest(string methodName, byte[] data)
            : this(methodName, data, null, null) { }

        /// <summary>A call with a JSON payload and timeouts (null: the defaults).</summary>
        public MethodRequest(string methodName, byte[] data, TimeSpan? responseTimeout, TimeSpan? connectionTimeout)
        {
            if (string.IsNullOrEmpty(methodName))
            {
                throw new ArgumentException("a method name is required", "methodName");
            }
            Name = methodName;
            this.data = data ?? new byte[0];
            ResponseTimeout = responseTimeout;
            ConnectionTimeout = connectionTimeout;
        }

        /// <summary>A call with a JSON payload given as a string (null: no payload).</summary>
        public MethodRequest(string methodName, string json)
            : this(methodName, json == null ? null : Encoding.UTF8.GetBytes(json), null, null) { }

        /// <summary>A call with a JSON payload and timeouts (null: the defaults).</summary>
        public MethodRequest(string methodName, string json, TimeSpan? responseTimeout, TimeSpan? connectionTimeout)
            : this(methodName, json == null ? null : Encoding.UTF8.GetBytes(json), responseTimeout, connectionTimeout) { }

        /// <summary>The method name.</summary>
        public string Name { get; private set; }

        /// <summary>The JSON payload as UTF-8 bytes (empty when there is none).</summary>
        public byte[] Data { get { return data; } }

        /// <summary>The JSON payload as a string (<c>null</c> when there is none).</summary>
        public string DataAsJson { get { return data.Length == 0 ? null : Encoding.UTF8.GetString(data); } }

        /// <summary>How long the target has to answer (5 s – 300 s; null: 30 s).</summary>
        public TimeSpan? ResponseTimeout { get; private set; }

        /// <summary>How long to wait for the target to connect (null: not at all).</summary>
        public TimeSpan? ConnectionTimeout { get; private set; }
    }

    /// <summary>The answer to a direct-method call: a status and an optional JSON payload.</summary>
    public sealed class MethodResponse
    {
        private readonly byte[] result;

        /// <summary>An answer with a JSON payload as UTF-8 bytes (null: no payload).</summary>
        public MethodResponse(byte[] result, int status)
        {
            this.result = result ?? new byte[0];
            Status = status;
        }

        /// <summary>An answer without a payload.</summary>
        public MethodResponse(int status) : this(null, status) { }

        /// <summary>The status (e.g. 200).</summary>
        public int Status { get; private set; }

        /// <summary>The JSON payload as UTF-8 bytes (empty when there is none).</summary>
        public byte[] Result { get { return result; } }

        /// <summary>The JSON payload as a string (<c>null</c> when there is none).</summary>
        public string ResultAsJson { get { return result.Length == 0 ? null : Encoding.UTF8.GetString(result); } }
    }
}

using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using EdgeModule.Native;

namespace EdgeModule
{
    /// <summary>
    /// A message: body bytes, application properties and system properties (names as in
    /// Microsoft.Azure.Devices.Client). Purely managed: it is copied to native memory only
    /// for the duration of a send, so it needs no disposing (<see cref="Dispose"/> exists
    /// for code written against the official SDK).
    /// </summary>
    public sealed class Message : IDisposable
    {
        private byte[] body;

        /// <summary>A message with an empty body.</summary>
        public Message() : this(new byte[0]) { }

        /// <summary>A message with <paramref name="body"/> (not copied).</summary>
        public Message(byte[] body)
        {
            this.body = body ?? new byte[0];
            Properties = new Dictionary<string, string>();
        }

        /// <summary>A message whose body is the rest of <paramref name="stream"/>.</summary>
        public Message(Stream stream) : this(ReadAll(stream)) { }

        /// <summary>Application properties (routable with <c>WHERE name = 'value'</c>).</summary>
        public IDictionary<string, string> Properties { get; private set; }

        /// <summary><c>$.mid</c>: the message id.</summary>
        public string MessageId { get; set; }
        /// <summary><c>$.cid</c>: the correlation id.</summary>
        public string CorrelationId { get; set; }
        /// <summary><c>$.uid</c>: the user id.</summary>
        public string UserId { get; set; }
        /// <summary><c>$.ct</c>: content type, e.g. <c>application/json</c> (needed for <c>$body</c> route queries).</summary>
        public string ContentType { get; set; }
        /// <summary><c>$.ce</c>: content encoding, e.g. <c>utf-8</c>.</summary>
        public string ContentEncoding { get; set; }
        /// <summary><c>$.ctime</c>: creation time (UTC); <see cref="DateTime.MinValue"/> when not set.</summary>
        public DateTime CreationTimeUtc { get; set; }
        /// <summary><c>$.exp</c>: absolute expiry time (UTC); <see cref="DateTime.MinValue"/> when not set.</summary>
        public DateTime ExpiryTimeUtc { get; set; }
        /// <summary><c>$.schema</c>: the message schema.</summary>
        public string MessageSchema { get; set; }
        /// <summary><c>$.sub</c>: the component name.</summary>
        public string ComponentName { get; set; }
        /// <summary><c>$.ifid</c>: the interface id.</summary>
        public string InterfaceId { get; set; }

        /// <summary>The input a received message arrived on.</summary>
        public string InputName { get; internal set; }
        /// <summary>The output a received message was sent to (when the hub passes it on).</summary>
        public string OutputName { get; internal set; }
        /// <summary>The device that sent a received message.</summary>
        public string ConnectionDeviceId { get; internal set; }
        /// <summary>The module that sent a received message.</summary>
        public string ConnectionModuleId { get; internal set; }
        /// <summary><c>$.to</c> of a received message.</summary>
        public string To { get; internal set; }

        /// <summary>The body (the array itself, not a copy).</summary>
        public byte[] GetBytes()
        {
            return body;
        }

        /// <summary>A read-only stream over the body.</summary>
        public Stream GetBodyStream()
        {
            return new MemoryStream(body, false);
        }

        /// <summary>Replaces the body.</summary>
        public void SetBody(byte[] newBody)
        {
            body = newBody ?? new byte[0];
        }

        /// <summary>A copy with the same body and properties (received-only properties excluded).</summary>
        public Message Clone()
        {
            var copy = new Message((byte[])body.Clone());
            foreach (KeyValuePair<string, string> p in Properties)
            {
                copy.Properties[p.Key] = p.Value;
            }
            copy.MessageId = MessageId;
            copy.CorrelationId = CorrelationId;
            copy.UserId = UserId;
            copy.ContentType = ContentType;
            copy.ContentEncoding = ContentEncoding;
            copy.CreationTimeUtc = CreationTimeUtc;
            copy.ExpiryTimeUtc = ExpiryTimeUtc;
            copy.MessageSchema = MessageSchema;
            copy.ComponentName = ComponentName;
            copy.InterfaceId = InterfaceId;
            return copy;
        }

        /// <summary>Nothing to release; present for code written against the official SDK.</summary>
        public void Dispose() { }

        // ---- native conversion --------------------------------------------------------

        /// <summary>
        /// True when only the body is set (no property a sender may set): such a message goes
        /// to native code as its bytes alone, without building a native message.
        /// </summary>
        internal bool IsBodyOnly
        {
            get
            {
                return Properties.Count == 0 && MessageId == null && CorrelationId == null && UserId == null
                    && ContentType == null && ContentEncoding == null && FormatTime(CreationTimeUtc) == null
                    && FormatTime(ExpiryTimeUtc) == null && MessageSchema == null && ComponentName == null
                    && InterfaceId == null;
            }
        }

        /// <summary>The body itself (not a copy), for a send that copies it at once.</summary>
        internal byte[] Body { get { return body; } }

        /// <summary>An owned native copy, for one send.</summary>
        internal MessageHandle ToNative()
        {
            MessageHandle handle;
            EdgeModuleException.Check(NativeMethods.edgemodule_message_new(body, new UIntPtr((uint)body.Length), out handle));
            handle.Track();
            try
            {
                SetSystem(handle, NativeMethods.PropertyMessageId, MessageId);
                SetSystem(handle, NativeMethods.PropertyCorrelationId, CorrelationId);
                SetSystem(handle, NativeMethods.PropertyUserId, UserId);
                SetSystem(handle, NativeMethods.PropertyContentType, ContentType);
                SetSystem(handle, NativeMethods.PropertyContentEncoding, ContentEncoding);
                SetSystem(handle, NativeMethods.PropertyCreationTime, FormatTime(CreationTimeUtc));
                SetSystem(handle, NativeMethods.PropertyExpiryTime, FormatTime(ExpiryTimeUtc));
                SetSystem(handle, NativeMethods.PropertyMessageSchema, MessageSchema);
                SetSystem(handle, NativeMethods.PropertyComponentName, ComponentName);
                SetSystem(handle, NativeMethods.PropertyInterfaceId, InterfaceId);
                foreach (KeyValuePair<string, string> p in Properties)
                {
                    if (p.Key == null)
                    {
                        continue;
                    }
                    byte[] key = Utf8.Bytes(p.Key);
                    byte[] value = Utf8.Bytes(p.Value ?? "");
                    EdgeModuleException.Check(NativeMethods.edgemodule_message_set_property(
                        handle, key, Utf8.Len(key), value, Utf8.Len(value)));
                }
                return handle;
            }
            catch
            {
                handle.Dispose();
                throw;
            }
        }

        private static void SetSystem(MessageHandle handle, int property, string value)
        {
            if (value == null)
            {
                return;
            }
            byte[] bytes = Utf8.Bytes(value);
            EdgeModuleException.Check(NativeMethods.edgemodule_message_set_system_property(
                handle, property, bytes, Utf8.Len(bytes)));
        }

        /// <summary>A managed copy of a borrowed native message (valid only during its callback).</summary>
        internal static Message FromNative(IntPtr message)
        {
            IntPtr data;
            UIntPtr len;
            EdgeModuleException.Check(NativeMethods.edgemodule_message_body(message, out data, out len));
            var m = new Message(Utf8.Copy(data, len));
            m.MessageId = GetSystem(message, NativeMethods.PropertyMessageId);
            m.CorrelationId = GetSystem(message, NativeMethods.PropertyCorrelationId);
            m.UserId = GetSystem(message, NativeMethods.PropertyUserId);
            m.ContentType = GetSystem(message, NativeMethods.PropertyContentType);
            m.ContentEncoding = GetSystem(message, NativeMethods.PropertyContentEncoding);
            m.CreationTimeUtc = ParseTime(GetSystem(message, NativeMethods.PropertyCreationTime));
            m.ExpiryTimeUtc = ParseTime(GetSystem(message, NativeMethods.PropertyExpiryTime));
            m.MessageSchema = GetSystem(message, NativeMethods.PropertyMessageSchema);
            m.ComponentName = GetSystem(message, NativeMethods.PropertyComponentName);
            m.InterfaceId = GetSystem(message, NativeMethods.PropertyInterfaceId);
            m.InputName = GetSystem(message, NativeMethods.PropertyInputName);
            m.OutputName = GetSystem(message, NativeMethods.PropertyOutputName);
            m.ConnectionDeviceId = GetSystem(message, NativeMethods.PropertyConnectionDeviceId);
            m.ConnectionModuleId = GetSystem(message, NativeMethods.PropertyConnectionModuleId);
            m.To = GetSystem(message, NativeMethods.PropertyTo);
            ulong count = NativeMethods.edgemodule_message_property_count(message).ToUInt64();
            for (ulong i = 0; i < count; i++)
            {
                IntPtr key, value;
                UIntPtr keyLen, valueLen;
                if (NativeMethods.edgemodule_message_property_at(message, new UIntPtr(i), out key, out keyLen,
                        out value, out valueLen) == NativeMethods.OK)
                {
                    m.Properties[Utf8.String(key, keyLen)] = Utf8.String(value, valueLen) ?? "";
                }
            }
            return m;
        }

        private static string GetSystem(IntPtr message, int property)
        {
            IntPtr value;
            UIntPtr len;
            if (NativeMethods.edgemodule_message_get_system_property(message, property, out value, out len) != NativeMethods.OK)
            {
                return null;
            }
            return Utf8.String(value, len) ?? "";
        }

        /// <summary>ISO 8601 UTC, without a fraction when there is none; null for MinValue.</summary>
        internal static string FormatTime(DateTime time)
        {
            if (time == DateTime.MinValue)
            {
                return null;
            }
            DateTime utc = time.Kind == DateTimeKind.Local ? time.ToUniversalTime() : time;
            return utc.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);
        }

        internal static DateTime ParseTime(string text)
        {
            DateTime time;
            if (text != null && DateTime.TryParse(text, CultureInfo.InvariantCulture,
                    DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out time))
            {
                return DateTime.SpecifyKind(time, DateTimeKind.Utc);
            }
            return DateTime.MinValue;
        }

        private static byte[] ReadAll(Stream stream)
        {
            if (stream == null)
            {
                return new byte[0];
            }
            var copy = new MemoryStream();
            stream.CopyTo(copy);
            return copy.ToArray();
        }
    }

    /// <summary>A message received on a subscribed user topic.</summary>
    public sealed class TopicMessage
    {
        internal TopicMessage(string topic, byte[] payload)
        {
            Topic = topic;
            Payload = payload;
        }

        /// <summary>The topic it was published to.</summary>
        public string Topic { get; private set; }

        /// <summary>The payload bytes.</summary>
        public byte[] Payload { get; private set; }
    }
}

using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace EdgeModule
{
    /// <summary>
    /// A JSON object of twin properties (desired, reported, a patch), in member order.
    /// Values are <c>null</c>, <c>bool</c>, <c>long</c>, <c>double</c>, <c>string</c>, nested
    /// <see cref="TwinCollection"/>s and <c>List&lt;object&gt;</c>; when setting, any number,
    /// string, bool, DateTime, dictionary or sequence is accepted. <c>$version</c> is kept
    /// apart in <see cref="Version"/> and not counted as a member.
    /// </summary>
    public sealed class TwinCollection : IEnumerable<KeyValuePair<string, object>>
    {
        private readonly List<string> order = new List<string>();
        private readonly Dictionary<string, object> values = new Dictionary<string, object>(StringComparer.Ordinal);
        private bool hasVersion;
        private long version;

        /// <summary>An empty collection (build a reported-properties patch with the indexer).</summary>
        public TwinCollection() { }

        /// <summary>Parses a JSON object; throws <see cref="ArgumentException"/> when it is not one.</summary>
        public TwinCollection(string json)
        {
            object parsed;
            try
            {
                parsed = Json.Parse(json);
            }
            catch (FormatException e)
            {
                throw new ArgumentException(e.Message, "json", e);
            }
            var other = parsed as TwinCollection;
            if (other == null)
            {
                throw new ArgumentException("the JSON is not an object", "json");
            }
            order.AddRange(other.order);
            foreach (KeyValuePair<string, object> kv in other.values)
            {
                values[kv.Key] = kv.Value;
            }
            hasVersion = other.hasVersion;
            version = other.version;
        }

        /// <summary>The <c>$version</c> this collection came with (0 when it had none).</summary>
        public long Version
        {
            get { return version; }
            set { version = value; hasVersion = true; }
        }

        /// <summary>
        /// True for a desired-properties patch that is the whole desired section (the catch-up
        /// after a reconnect): replace what you hold rather than merging into it.
        /// </summary>
        public bool IsFullDesired { get; internal set; }

        /// <summary>True when the collection carries a <c>$version</c> (read or set).</summary>
        internal bool HasVersion { get { return hasVersion; } }

        /// <summary>The number of members (without <c>$version</c>).</summary>
        public int Count { get { return order.Count; } }

        /// <summary>
        /// A member's value; getting a missing one throws <see cref="KeyNotFoundException"/>.
        /// Setting <c>null</c> in a reported patch removes the property.
        /// </summary>
        public object this[string propertyName]
        {
            get
            {
                object value;
                if (!TryGetValue(propertyName, out value))
                {
                    throw new KeyNotFoundException("no property '" + propertyName + "'");
                }
                return value;
            }
            set
            {
                if (propertyName == null)
                {
                    throw new ArgumentNullException("propertyName");
                }
                SetRaw(propertyName, value);
            }
        }

        /// <summary>True when the member exists (even with a null value).</summary>
        public bool Contains(string propertyName)
        {
            return propertyName != null && values.ContainsKey(propertyName);
        }

        /// <summary>The member's value, if present.</summary>
        public bool TryGetValue(string propertyName, out object value)
        {
            value = null;
            return propertyName != null && values.TryGetValue(propertyName, out value);
        }

        /// <summary>
        /// The member converted to <typeparamref name="T"/> (numbers, strings, bools), or
        /// <paramref name="fallback"/> when it is missing, null or not convertible.
        /// </summary>
        public T GetValueOrDefault<T>(string propertyName, T fallback)
        {
            object value;
            if (!TryGetValue(propertyName, out value) || value == null)
            {
                return fallback;
            }
            if (value is T)
            {
                return (T)value;
            }
            try
            {
                return (T)Convert.ChangeType(value, typeof(T), CultureInfo.InvariantCulture);
            }
            catch (Exception e) when (e is InvalidCastException || e is FormatException || e is OverflowException)
            {
                return fallback;
            }
        }

        /// <summary>Removes a member from this collection (to delete a reported property, set it to null instead).</summary>
        public bool Remove(string propertyName)
        {
            if (propertyName == null || !values.Remove(propertyName))
            {
                return false;
            }
            order.Remove(propertyName);
            return true;
        }

        /// <summary>The members in order.</summary>
        public IEnumerator<KeyValuePair<string, object>> GetEnumerator()
        {
            foreach (string name in order)
            {
                yield return new KeyValuePair<string, object>(name, values[name]);
            }
        }

        IEnumerator IEnumerable.GetEnumerator()
        {
            return GetEnumerator();
        }

        /// <summary>The collection as JSON (with <c>$version</c> when it has one).</summary>
        public string ToJson()
        {
            var sb = new StringBuilder();
            WriteTo(sb, 0, true);
            return sb.ToString();
        }

        /// <summary>Same as <see cref="ToJson"/>.</summary>
        public override string ToString()
        {
            return ToJson();
        }

        internal string ToPatchJson()
        {
            var sb = new StringBuilder();
            WriteTo(sb, 0, false);
            return sb.ToString();
        }

        internal void SetRaw(string name, object value)
        {
            if (name == "$version" && value is long)
            {
                // Any other $version (the hub never sends one) stays an ordinary member.
                Version = (long)value;
                return;
            }
            if (!values.ContainsKey(name))
            {
                order.Add(name);
            }
            values[name] = value;
        }

        internal void WriteTo(StringBuilder sb, int depth, bool withVersion)
        {
            sb.Append('{');
            bool first = true;
            foreach (string name in order)
            {
                if (!first)
                {
                    sb.Append(',');
                }
                first = false;
                Json.WriteString(sb, name);
                sb.Append(':');
                Json.Write(sb, values[name], depth + 1);
            }
            if (withVersion && hasVersion)
            {
                if (!first)
                {
                    sb.Append(',');
                }
                sb.Append("\"$version\":").Append(version.ToString(CultureInfo.InvariantCulture));
            }
            sb.Append('}');
        }
    }

    /// <summary>The desired and reported properties of a twin.</summary>
    public sealed class TwinProperties
    {
        internal TwinProperties(TwinCollection desired, TwinCollection reported)
        {
            Desired = desired;
            Reported = reported;
        }

        /// <summary>What the operator wants (with its <c>$version</c>).</summary>
        public TwinCollection Desired { get; private set; }

        /// <summary>What the module reported (with its <c>$version</c>).</summary>
        public TwinCollection Reported { get; private set; }
    }

    /// <summary>The module twin, as <see cref="ModuleClient.GetTwinAsync()"/> returns it.</summary>
    public sealed class Twin
    {
        internal Twin(string deviceId, string moduleId, TwinProperties properties)
        {
            DeviceId = deviceId;
            ModuleId = moduleId;
            Properties = properties;
        }

        /// <summary>The device id.</summary>
        public string DeviceId { get; private set; }

        /// <summary>The module id.</summary>
        public string ModuleId { get; private set; }

        /// <summary>Desired and reported properties.</summary>
        public TwinProperties Properties { get; private set; }

        /// <summary><c>{"desired":{…},"reported":{…}}</c>.</summary>
        public string ToJson()
        {
            return "{\"desired\":" + Properties.Desired.ToJson() + ",\"reported\":" + Properties.Reported.ToJson() + "}";
        }

        /// <summary>
        /// Reads the twin JSON the core hands out (the rules of tests/vectors/twin.json: a
        /// missing or null section is empty with version 0, anything else that is not an
        /// object is <see cref="ProtocolException"/>).
        /// </summary>
        internal static Twin FromJson(string deviceId, string moduleId, string json)
        {
            object parsed;
            try
            {
                parsed = Json.Parse(json);
            }
            catch (FormatException e)
            {
                throw new ProtocolException("the twin is not JSON: " + e.Message);
            }
            var all = parsed as TwinCollection;
            if (all == null)
            {
                throw new ProtocolException("the twin is not a JSON object");
            }
            return new Twin(deviceId, moduleId, new TwinProperties(Section(all, "desired"), Section(all, "reported")));
        }

        private static TwinCollection Section(TwinCollection all, string name)
        {
            object value;
            if (!all.TryGetValue(name, out value) || value == null)
            {
                return new TwinCollection();
            }
            var section = value as TwinCollection;
            if (section == null)
            {
                throw new ProtocolException("twin section \"" + name + "\" is not a JSON object");
            }
            return section;
        }
    }
}

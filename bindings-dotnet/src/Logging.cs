using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Diagnostics;
using System.Text;
using System.Threading;
using EdgeModule.Native;

namespace EdgeModule
{
    /// <summary>
    /// A record's severity, with the values of <c>Microsoft.Extensions.Logging.LogLevel</c> (cast
    /// one to the other).
    /// </summary>
    public enum LogLevel
    {
        /// <summary>Everything.</summary>
        Trace = 0,
        /// <summary>Detail for diagnosing a problem.</summary>
        Debug = 1,
        /// <summary>A milestone (connected, token renewed).</summary>
        Information = 2,
        /// <summary>Something went wrong and was handled (a lost connection, a refused subscription).</summary>
        Warning = 3,
        /// <summary>Something failed.</summary>
        Error = 4,
        /// <summary>Not used by edgemodule.</summary>
        Critical = 5,
        /// <summary>Nothing.</summary>
        None = 6,
    }

    /// <summary>One log record of edgemodule's core, as <see cref="EdgeModuleLogging.Source"/> passes it to listeners (<c>TraceData</c>).</summary>
    public sealed class LogRecord
    {
        internal LogRecord(LogLevel level, string target, string area, string message,
            IList<KeyValuePair<string, string>> fields, string fieldsText)
        {
            Level = level;
            Target = target;
            Area = area;
            Message = message;
            Fields = new ReadOnlyCollection<KeyValuePair<string, string>>(fields);
            FieldsText = fieldsText;
        }

        /// <summary>Severity.</summary>
        public LogLevel Level { get; private set; }

        /// <summary>Where it comes from: a Rust module path such as <c>edgemodule::connection::event_loop</c>.</summary>
        public string Target { get; private set; }

        /// <summary>The part of edgemodule it comes from (<c>connection</c>, <c>client</c>, <c>rumqttc</c>, …).</summary>
        public string Area { get; private set; }

        /// <summary>The message, e.g. <c>connection lost</c>.</summary>
        public string Message { get; private set; }

        /// <summary>Structured fields (<c>module</c>, <c>reason</c>, <c>attempt</c>, <c>delay_ms</c>, <c>error</c>, …) in the order logged.</summary>
        public IReadOnlyList<KeyValuePair<string, string>> Fields { get; private set; }

        /// <summary>The fields as <c>name=value</c> pairs separated by spaces.</summary>
        public string FieldsText { get; private set; }

        /// <summary>A field's value, or null.</summary>
        public string Field(string name)
        {
            foreach (KeyValuePair<string, string> f in Fields)
            {
                if (f.Key == name)
                {
                    return f.Value;
                }
            }
            return null;
        }

        /// <summary>"area: message name=value …".</summary>
        public override string ToString()
        {
            return Area + ": " + Message + (FieldsText.Length > 0 ? " " + FieldsText : "");
        }
    }

    /// <summary>
    /// edgemodule's logs in .NET's own mechanisms: the <see cref="TraceSource"/> named
    /// <c>EdgeModule</c> (every record, filtered by its switch) and each client's
    /// <see cref="ClientOptions.Logger"/>. The core formats nothing while neither wants a level
    /// (one atomic load per log statement); records are delivered on edgemodule's one log
    /// thread, never on a connection thread.
    /// </summary>
    public static class EdgeModuleLogging
    {
        private static readonly TraceSource source = new TraceSource("EdgeModule", SourceLevels.Off);
        private static readonly object gate = new object();
        private static readonly List<ClientLogger> loggers = new List<ClientLogger>();
        private static LogLevel nativeLevel = LogLevel.None;
        private static bool sinkInstalled;

        /// <summary>
        /// The <c>EdgeModule</c> trace source (off unless configured: set
        /// <c>Source.Switch.Level</c> and call <see cref="Refresh"/>, or configure
        /// <c>&lt;source name="EdgeModule" switchValue="Information"&gt;</c> in the application's
        /// config file). Records arrive as <see cref="LogRecord"/> objects through
        /// <c>TraceData</c>; text listeners print <see cref="LogRecord.ToString"/>.
        /// </summary>
        public static TraceSource Source { get { return source; } }

        /// <summary>
        /// Applies the switch of <see cref="Source"/> (read when a client is created too): the
        /// core then forwards records up to the most verbose level anyone wants.
        /// </summary>
        public static void Refresh()
        {
            lock (gate)
            {
                Apply();
            }
        }

        /// <summary>The most verbose level the core currently forwards (<see cref="LogLevel.None"/>: off).</summary>
        internal static LogLevel NativeLevel
        {
            get
            {
                lock (gate)
                {
                    return nativeLevel;
                }
            }
        }

        /// <summary>Adds a client's logger (until <see cref="Remove"/>); null when the options have none.</summary>
        internal static ClientLogger Add(ClientOptions options, string moduleId)
        {
            ClientLogger added = null;
            lock (gate)
            {
                if (options.Logger != null && options.LoggerLevel != LogLevel.None)
                {
                    added = new ClientLogger(options.Logger, options.LoggerLevel, moduleId);
                    loggers.Add(added);
                }
                try
                {
                    Apply();
                }
                catch
                {
                    // The client is not created: its logger must not stay registered.
                    loggers.Remove(added);
                    throw;
                }
            }
            return added;
        }

        internal static void Remove(ClientLogger logger)
        {
            if (logger == null)
            {
                return;
            }
            lock (gate)
            {
                if (loggers.Remove(logger))
                {
                    Apply();
                }
            }
        }

        /// <summary>The level the trace source's switch lets through.</summary>
        private static LogLevel SourceLevel()
        {
            SourceLevels levels = source.Switch.Level;
            if ((levels & SourceLevels.ActivityTracing) != 0 || levels == SourceLevels.All)
            {
                return LogLevel.Trace;
            }
            if ((levels & SourceLevels.Verbose) == SourceLevels.Verbose)
            {
                return LogLevel.Debug;
            }
            if ((levels & SourceLevels.Information) == SourceLevels.Information)
            {
                return LogLevel.Information;
            }
            if ((levels & SourceLevels.Warning) == SourceLevels.Warning)
            {
                return LogLevel.Warning;
            }
            if ((levels & SourceLevels.Error) == SourceLevels.Error)
            {
                return LogLevel.Error;
            }
            return LogLevel.None;
        }

        private static void Apply()
        {
            LogLevel wanted = SourceLevel();
            foreach (ClientLogger l in loggers)
            {
                if (l.Level < wanted)
                {
                    wanted = l.Level;
                }
            }
            if (wanted == nativeLevel)
            {
                return;
            }
            if (wanted != LogLevel.None && !sinkInstalled)
            {
                NativeLog.Install(wanted);
                sinkInstalled = true;
            }
            else if (sinkInstalled)
            {
                NativeLog.SetLevel(wanted);
            }
            nativeLevel = wanted;
        }

        /// <summary>Hands one record to the trace source and the loggers that want it (on the log thread).</summary>
        internal static void Deliver(LogRecord record)
        {
            TraceEventType type = EventType(record.Level);
            if (source.Switch.ShouldTrace(type))
            {
                try
                {
                    source.TraceData(type, 0, record);
                }
                catch (Exception e)
                {
                    Trace.TraceWarning("edgemodule: a trace listener failed: {0}", e.Message);
                }
            }
            ClientLogger[] current;
            lock (gate)
            {
                if (loggers.Count == 0)
                {
                    return;
                }
                current = loggers.ToArray();
            }
            string module = record.Field("module");
            string text = null;
            foreach (ClientLogger l in current)
            {
                if (record.Level < l.Level || (module != null && module != l.ModuleId))
                {
                    continue;
                }
                text = text ?? record.ToString();
                try
                {
                    l.Log(record.Level, text);
                }
                catch (Exception)
                {
                    // A failing logger must not stop the others, nor reach native code.
                }
            }
        }

        private static TraceEventType EventType(LogLevel level)
        {
            switch (level)
            {
                case LogLevel.Critical: return TraceEventType.Critical;
                case LogLevel.Error: return TraceEventType.Error;
                case LogLevel.Warning: return TraceEventType.Warning;
                case LogLevel.Information: return TraceEventType.Information;
                default: return TraceEventType.Verbose;
            }
        }
    }

    /// <summary>One client's <see cref="ClientOptions.Logger"/>.</summary>
    internal sealed class ClientLogger
    {
        internal ClientLogger(Action<LogLevel, string> log, LogLevel level, string moduleId)
        {
            Log = log;
            Level = level;
            ModuleId = moduleId;
        }

        internal Action<LogLevel, string> Log { get; private set; }
        internal LogLevel Level { get; private set; }
        internal string ModuleId { get; private set; }
    }
}

namespace EdgeModule.Native
{
    /// <summary>
    /// The C log callback: installed once (the first time a level is wanted), then only its
    /// level changes. Records arrive on the core's <c>edgemodule-log</c> thread.
    /// </summary>
    internal static class NativeLog
    {
        /// <summary>EDGEMODULE_LOG_* for a .NET level (None: OFF).</summary>
        internal static int NativeLevel(LogLevel level)
        {
            switch (level)
            {
                case LogLevel.Trace: return 5;
                case LogLevel.Debug: return 4;
                case LogLevel.Information: return 3;
                case LogLevel.Warning: return 2;
                case LogLevel.Error:
                case LogLevel.Critical: return 1;
                default: return 0;
            }
        }

        /// <summary>The .NET level of an EDGEMODULE_LOG_* value.</summary>
        internal static LogLevel Level(int nativeLevel)
        {
            switch (nativeLevel)
            {
                case 1: return LogLevel.Error;
                case 2: return LogLevel.Warning;
                case 3: return LogLevel.Information;
                case 4: return LogLevel.Debug;
                default: return LogLevel.Trace;
            }
        }

        internal static void Install(LogLevel level)
        {
            EdgeModuleException.Check(NativeMethods.edgemodule_set_log_callback(NativeLevel(level), Callbacks.Log,
                IntPtr.Zero, null));
        }

        internal static void SetLevel(LogLevel level)
        {
            EdgeModuleException.Check(NativeMethods.edgemodule_set_log_level(NativeLevel(level)));
        }

        /// <summary>One record from the core (on the log thread).</summary>
        internal static void Deliver(int level, string target, string area, string message, string fieldsText)
        {
            List<KeyValuePair<string, string>> fields = ParseFields(fieldsText);
            EdgeModuleLogging.Deliver(new LogRecord(Level(level), target, area, message, fields, fieldsText));
        }

        /// <summary>
        /// The fields of the core's <c>name=value</c> text (a value with a space, or empty, is a
        /// Rust-quoted string: <c>error="connection refused"</c>).
        /// </summary>
        internal static List<KeyValuePair<string, string>> ParseFields(string text)
        {
            var fields = new List<KeyValuePair<string, string>>();
            int i = 0;
            while (i < text.Length)
            {
                while (i < text.Length && text[i] == ' ')
                {
                    i++;
                }
                int eq = text.IndexOf('=', i);
                if (eq < 0)
                {
                    break;
                }
                string name = text.Substring(i, eq - i);
                i = eq + 1;
                string value;
                if (i < text.Length && text[i] == '"')
                {
                    value = Quoted(text, ref i);
                }
                else
                {
                    int end = text.IndexOf(' ', i);
                    end = end < 0 ? text.Length : end;
                    value = text.Substring(i, end - i);
                    i = end;
                }
                fields.Add(new KeyValuePair<string, string>(name, value));
            }
            return fields;
        }

        /// <summary>A string as Rust's <c>{:?}</c> writes it, from the opening quote at <paramref name="i"/>; <paramref name="i"/> ends after the closing one.</summary>
        private static string Quoted(string text, ref int i)
        {
            var sb = new StringBuilder();
            i++;
            while (i < text.Length && text[i] != '"')
            {
                char c = text[i++];
                if (c != '\\' || i >= text.Length)
                {
                    sb.Append(c);
                    continue;
                }
                char e = text[i++];
                switch (e)
                {
                    case 'n': sb.Append('\n'); break;
                    case 'r': sb.Append('\r'); break;
                    case 't': sb.Append('\t'); break;
                    case '0': sb.Append('\0'); break;
                    case 'u':
                        int close = text.IndexOf('}', i);
                        int code;
                        if (i < text.Length && text[i] == '{' && close > i &&
                            int.TryParse(text.Substring(i + 1, close - i - 1), System.Globalization.NumberStyles.HexNumber,
                                System.Globalization.CultureInfo.InvariantCulture, out code))
                        {
                            sb.Append(char.ConvertFromUtf32(code));
                            i = close + 1;
                        }
                        else
                        {
                            sb.Append('\\').Append(e);
                        }
                        break;
                    default: sb.Append(e); break;
                }
            }
            i++;
            return sb.ToString();
        }
    }
}

// A small JSON reader and writer, so the assembly needs no JSON package. Objects read as
// TwinCollection, arrays as List<object>, integers as long, other numbers as double.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace EdgeModule
{
    internal static class Json
    {
        private const int MaxDepth = 128;

        /// <summary>Parses one JSON value; throws <see cref="FormatException"/> on bad input.</summary>
        internal static object Parse(string text)
        {
            if (text == null)
            {
                throw new ArgumentNullException("text");
            }
            var reader = new Reader(text);
            object value = reader.Value(0);
            reader.SkipSpace();
            if (!reader.AtEnd)
            {
                throw reader.Error("unexpected text after the value");
            }
            return value;
        }

        /// <summary>True when <paramref name="text"/> is one valid JSON value.</summary>
        internal static bool IsValid(string text)
        {
            try
            {
                Parse(text);
                return true;
            }
            catch (FormatException)
            {
                return false;
            }
        }

        /// <summary>Serializes a value (null, bool, numbers, strings, DateTime, dictionaries, TwinCollection, sequences).</summary>
        internal static string Serialize(object value)
        {
            var sb = new StringBuilder();
            Write(sb, value, 0);
            return sb.ToString();
        }

        internal static void Write(StringBuilder sb, object value, int depth)
        {
            if (depth > MaxDepth)
            {
                throw new ArgumentException("value nested too deeply for JSON");
            }
            if (value == null)
            {
                sb.Append("null");
                return;
            }
            var s = value as string;
            if (s != null)
            {
                WriteString(sb, s);
                return;
            }
            if (value is bool)
            {
                sb.Append((bool)value ? "true" : "false");
                return;
            }
            if (value is double || value is float)
            {
                double d = Convert.ToDouble(value, CultureInfo.InvariantCulture);
                if (double.IsNaN(d) || double.IsInfinity(d))
                {
                    throw new ArgumentException("JSON has no NaN or infinity");
                }
                sb.Append(d.ToString("R", CultureInfo.InvariantCulture));
                return;
            }
            if (value is decimal)
            {
                sb.Append(((decimal)value).ToString(CultureInfo.InvariantCulture));
                return;
            }
            if (value is int || value is long || value is short || value is sbyte || value is byte ||
                value is uint || value is ulong || value is ushort)
            {
                sb.Append(Convert.ToString(value, CultureInfo.InvariantCulture));
                return;
            }
            if (value is DateTime)
            {
                WriteString(sb, Message.FormatTime((DateTime)value) ?? "0001-01-01T00:00:00Z");
                return;
            }
            if (value is Enum || value is char || value is Guid)
            {
                WriteString(sb, Convert.ToString(value, CultureInfo.InvariantCulture));
                return;
            }
            var twin = value as TwinCollection;
            if (twin != null)
            {
                twin.WriteTo(sb, depth, true);
                return;
            }
            var dict = value as IDictionary;
            if (dict != null)
            {
                sb.Append('{');
                bool first = true;
                foreach (DictionaryEntry e in dict)
                {
                    if (!first)
                    {
                        sb.Append(',');
                    }
                    first = false;
                    WriteString(sb, Convert.ToString(e.Key, CultureInfo.InvariantCulture));
                    sb.Append(':');
                    Write(sb, e.Value, depth + 1);
                }
                sb.Append('}');
                return;
            }
            var seq = value as IEnumerable;
            if (seq != null)
            {
                sb.Append('[');
                bool first = true;
                foreach (object item in seq)
                {
                    if (!first)
                    {
                        sb.Append(',');
                    }
                    first = false;
                    Write(sb, item, depth + 1);
                }
                sb.Append(']');
                return;
            }
            throw new ArgumentException("cannot write a " + value.GetType().FullName + " as JSON");
        }

        internal static void WriteString(StringBuilder sb, string s)
        {
            sb.Append('"');
            foreach (char c in s)
            {
                switch (c)
                {
                    case '"': sb.Append("\\\""); break;
                    case '\\': sb.Append("\\\\"); break;
                    case '\n': sb.Append("\\n"); break;
                    case '\r': sb.Append("\\r"); break;
                    case '\t': sb.Append("\\t"); break;
                    case '\b': sb.Append("\\b"); break;
                    case '\f': sb.Append("\\f"); break;
                    default:
                        if (c < 0x20)
                        {
                            sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        }
                        else
                        {
                            sb.Append(c);
                        }
                        break;
                }
            }
            sb.Append('"');
        }

        private sealed class Reader
        {
            private readonly string text;
            private int pos;

            internal Reader(string text)
            {
                this.text = text;
            }

            internal bool AtEnd { get { return pos >= text.Length; } }

            internal FormatException Error(string what)
            {
                return new FormatException("invalid JSON at offset " + pos + ": " + what);
            }

            internal void SkipSpace()
            {
                while (pos < text.Length && (text[pos] == ' ' || text[pos] == '\t' || text[pos] == '\n' || text[pos] == '\r'))
                {
                    pos++;
                }
            }

            internal object Value(int depth)
            {
                if (depth > MaxDepth)
                {
                    throw Error("nested too deeply");
                }
                SkipSpace();
                if (AtEnd)
                {
                    throw Error("a value is missing");
                }
                char c = text[pos];
                switch (c)
                {
                    case '{': return Object(depth);
                    case '[': return Array(depth);
                    case '"': return String();
                    case 't': Literal("true"); return true;
                    case 'f': Literal("false"); return false;
                    case 'n': Literal("null"); return null;
                    default:
                        if (c == '-' || (c >= '0' && c <= '9'))
                        {
                            return Number();
                        }
                        throw Error("unexpected character '" + c + "'");
                }
            }

            private void Literal(string word)
            {
                if (string.CompareOrdinal(text, pos, word, 0, word.Length) != 0)
                {
                    throw Error("expected " + word);
                }
                pos += word.Length;
            }

            private TwinCollection Object(int depth)
            {
                var result = new TwinCollection();
                pos++;
                SkipSpace();
                if (!AtEnd && text[pos] == '}')
                {
                    pos++;
                    return result;
                }
                while (true)
                {
                    SkipSpace();
                    if (AtEnd || text[pos] != '"')
                    {
                        throw Error("expected a member name");
                    }
                    string name = String();
                    SkipSpace();
                    if (AtEnd || text[pos] != ':')
                    {
                        throw Error("expected ':'");
                    }
                    pos++;
                    result.SetRaw(name, Value(depth + 1));
                    SkipSpace();
                    if (AtEnd)
                    {
                        throw Error("unterminated object");
                    }
                    if (text[pos] == ',')
                    {
                        pos++;
                        continue;
                    }
                    if (text[pos] == '}')
                    {
                        pos++;
                        return result;
                    }
                    throw Error("expected ',' or '}'");
                }
            }

            private List<object> Array(int depth)
            {
                var result = new List<object>();
                pos++;
                SkipSpace();
                if (!AtEnd && text[pos] == ']')
                {
                    pos++;
                    return result;
                }
                while (true)
                {
                    result.Add(Value(depth + 1));
                    SkipSpace();
                    if (AtEnd)
                    {
                        throw Error("unterminated array");
                    }
                    if (text[pos] == ',')
                    {
                        pos++;
                        continue;
                    }
                    if (text[pos] == ']')
                    {
                        pos++;
                        return result;
                    }
                    throw Error("expected ',' or ']'");
                }
            }

            private string String()
            {
                pos++; // opening quote
                var sb = new StringBuilder();
                while (true)
                {
                    if (AtEnd)
                    {
                        throw Error("unterminated string");
                    }
                    char c = text[pos++];
                    if (c == '"')
                    {
                        return sb.ToString();
                    }
                    if (c < 0x20)
                    {
                        throw Error("control character in a string");
                    }
                    if (c != '\\')
                    {
                        sb.Append(c);
                        continue;
                    }
                    if (AtEnd)
                    {
                        throw Error("unterminated escape");
                    }
                    char e = text[pos++];
                    switch (e)
                    {
                        case '"': sb.Append('"'); break;
                        case '\\': sb.Append('\\'); break;
                        case '/': sb.Append('/'); break;
                        case 'b': sb.Append('\b'); break;
                        case 'f': sb.Append('\f'); break;
                        case 'n': sb.Append('\n'); break;
                        case 'r': sb.Append('\r'); break;
                        case 't': sb.Append('\t'); break;
                        case 'u':
                            if (pos + 4 > text.Length)
                            {
                                throw Error("short \\u escape");
                            }
                            int code;
                            if (!int.TryParse(text.Substring(pos, 4), NumberStyles.AllowHexSpecifier,
                                    CultureInfo.InvariantCulture, out code))
                            {
                                throw Error("bad \\u escape");
                            }
                            sb.Append((char)code);
                            pos += 4;
                            break;
                        default:
                            throw Error("bad escape");
                    }
                }
            }

            private object Number()
            {
                int start = pos;
                if (text[pos] == '-')
                {
                    pos++;
                }
                int digits = pos;
                while (pos < text.Length && text[pos] >= '0' && text[pos] <= '9')
                {
                    pos++;
                }
                if (pos == digits)
                {
                    throw Error("a number needs digits");
                }
                if (text[digits] == '0' && pos - digits > 1)
                {
                    throw Error("leading zero");
                }
                bool integral = true;
                if (pos < text.Length && text[pos] == '.')
                {
                    integral = false;
                    pos++;
                    int frac = pos;
                    while (pos < text.Length && text[pos] >= '0' && text[pos] <= '9')
                    {
                        pos++;
                    }
                    if (pos == frac)
                    {
                        throw Error("a fraction needs digits");
                    }
                }
                if (pos < text.Length && (text[pos] == 'e' || text[pos] == 'E'))
                {
                    integral = false;
                    pos++;
                    if (pos < text.Length && (text[pos] == '+' || text[pos] == '-'))
                    {
                        pos++;
                    }
                    int exp = pos;
                    while (pos < text.Length && text[pos] >= '0' && text[pos] <= '9')
                    {
                        pos++;
                    }
                    if (pos == exp)
                    {
                        throw Error("an exponent needs digits");
                    }
                }
                string token = text.Substring(start, pos - start);
                long l;
                if (integral && long.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out l))
                {
                    return l;
                }
                return double.Parse(token, NumberStyles.Float, CultureInfo.InvariantCulture);
            }
        }
    }
}

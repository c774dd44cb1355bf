// A small JSON reader and writer, so the assembly needs no JSON package. Objects read as
// TwinCollection, arrays as List<object>, integers as long (ulong above long.MaxValue),
// other numbers as double. It reads and writes what the core's serde_json does: the same
// texts refused, the same nesting limit, numbers written in the same shortest form
// (tests/vectors/json.json pins it; UnitTests.cs compares).
using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace EdgeModule
{
    internal static class Json
    {
        /// <summary>Most nested arrays/objects serde_json accepts (its recursion limit is 128 levels deep, exclusive).</summary>
        private const int MaxDepth = 127;

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
                WriteDouble(sb, Convert.ToDouble(value, CultureInfo.InvariantCulture));
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
            if (depth >= MaxDepth && (value is TwinCollection || value is IEnumerable))
            {
                // What the core could not read back (also stops a collection that contains itself).
                throw new ArgumentException("value nested deeper than " + MaxDepth + " levels");
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

        /// <summary>
        /// A double as serde_json writes it: the shortest digits that read back, in decimal
        /// notation with a fraction (<c>1000.0</c>, <c>0.0025</c>) when the decimal point falls
        /// within 16 digits (and at most 4 zeros follow it), else scientific (<c>1e+21</c>,
        /// <c>1.5e-7</c>).
        /// </summary>
        internal static void WriteDouble(StringBuilder sb, double d)
        {
            if (double.IsNaN(d) || double.IsInfinity(d))
            {
                throw new ArgumentException("JSON has no NaN or infinity");
            }
            if (d == 0)
            {
                sb.Append(BitConverter.DoubleToInt64Bits(d) < 0 ? "-0.0" : "0.0");
                return;
            }
            string digits;
            int pointAt; // the value is 0.digits x 10^pointAt
            ShortestDigits(d, out digits, out pointAt);
            if (d < 0)
            {
                sb.Append('-');
            }
            int length = digits.Length;
            if (pointAt >= length && pointAt <= 16)
            {
                sb.Append(digits).Append('0', pointAt - length).Append(".0");
            }
            else if (pointAt > 0 && pointAt <= 16)
            {
                sb.Append(digits, 0, pointAt).Append('.').Append(digits, pointAt, length - pointAt);
            }
            else if (pointAt > -5 && pointAt <= 0)
            {
                sb.Append("0.").Append('0', -pointAt).Append(digits);
            }
            else
            {
                sb.Append(digits[0]);
                if (length > 1)
                {
                    sb.Append('.').Append(digits, 1, length - 1);
                }
                int exponent = pointAt - 1;
                sb.Append(exponent > 0 ? "e+" : "e").Append(exponent.ToString(CultureInfo.InvariantCulture));
            }
        }

        /// <summary>The fewest significant digits (1–17) that parse back to <paramref name="d"/> (non-zero, finite).</summary>
        private static void ShortestDigits(double d, out string digits, out int pointAt)
        {
            string text = null;
            for (int precision = 1; precision <= 17; precision++)
            {
                text = Math.Abs(d).ToString("E" + (precision - 1), CultureInfo.InvariantCulture);
                double back;
                // TryParse: a rounded-up double.MaxValue overflows (false), it is not the value.
                if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out back) && back == Math.Abs(d))
                {
                    break;
                }
            }
            // d.dddE+xxx
            int e = text.IndexOf('E');
            string mantissa = text.Substring(0, e).Replace(".", "");
            int exponent = int.Parse(text.Substring(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            digits = mantissa.TrimEnd('0');
            if (digits.Length == 0)
            {
                digits = "0";
            }
            pointAt = exponent + 1;
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

            /// <summary>Reads a value enclosed by <paramref name="depth"/> arrays/objects.</summary>
            internal object Value(int depth)
            {
                SkipSpace();
                if (AtEnd)
                {
                    throw Error("a value is missing");
                }
                char c = text[pos];
                if ((c == '{' || c == '[') && depth >= MaxDepth)
                {
                    throw Error("nested deeper than " + MaxDepth + " levels");
                }
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
                            char unit = Hex4();
                            if (char.IsLowSurrogate(unit))
                            {
                                throw Error("a lone trailing surrogate");
                            }
                            sb.Append(unit);
                            if (char.IsHighSurrogate(unit))
                            {
                                // A UTF-16 pair must follow as a second escape (the text becomes UTF-8).
                                if (pos + 2 > text.Length || text[pos] != '\\' || text[pos + 1] != 'u')
                                {
                                    throw Error("a lone leading surrogate");
                                }
                                pos += 2;
                                char low = Hex4();
                                if (!char.IsLowSurrogate(low))
                                {
                                    throw Error("a lone leading surrogate");
                                }
                                sb.Append(low);
                            }
                            break;
                        default:
                            throw Error("bad escape");
                    }
                }
            }

            private char Hex4()
            {
                int code;
                if (pos + 4 > text.Length || !int.TryParse(text.Substring(pos, 4), NumberStyles.AllowHexSpecifier,
                        CultureInfo.InvariantCulture, out code))
                {
                    throw Error("bad \\u escape");
                }
                pos += 4;
                return (char)code;
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
                if (integral)
                {
                    // As serde_json: i64, else u64, else a float; "-0" is the float -0.0.
                    long l;
                    ulong u;
                    if (token == "-0")
                    {
                        return -0.0;
                    }
                    if (long.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out l))
                    {
                        return l;
                    }
                    if (ulong.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out u))
                    {
                        return u;
                    }
                }
                double d;
                if (!double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out d) ||
                    double.IsInfinity(d) || double.IsNaN(d))
                {
                    throw Error("number out of range");
                }
                return d;
            }
        }
    }
}

// NativeMethods.cs is a hand-written mirror of bindings-c/include/edgemodule.h. This test
// reads the header (cbindgen's output) and the compiled P/Invoke declarations (reflection)
// and fails when they disagree: a name, the number of parameters, or a parameter's or
// result's type that does not marshal to the C type; a callback delegate that does not match
// its typedef; a header function the binding neither declares nor lists as unused.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using EdgeModule.Native;
using NUnit.Framework;

namespace EdgeModule.Tests
{
    [TestFixture]
    public class NativeMirrorTests
    {
        /// <summary>Header functions .NET does not call, and why (a new export fails the test until it is used or listed).</summary>
        private static readonly Dictionary<string, string> NotUsed = new Dictionary<string, string>
        {
            { "edgemodule_client_new_from_environment", "edgemodule_client_new with a NULL connection string does the same with options" },
            { "edgemodule_client_new_from_connection_string", "edgemodule_client_new takes the connection string with options" },
            { "edgemodule_message_clone", "received messages are copied into managed Message objects" },
            { "edgemodule_message_set_body", "a native message is built once per send from the managed Message" },
            { "edgemodule_message_remove_property", "a native message is built once per send from the managed Message" },
            { "edgemodule_message_get_property", "properties are read with edgemodule_message_property_at" },
        };

        /// <summary>A C type: its base name (without const) and the number of '*'.</summary>
        private sealed class CType
        {
            internal string Name;
            internal int Pointers;
            /// <summary>"const T *": what it points to is read only (an input array may travel as T[]).</summary>
            internal bool ConstPointee;

            public override string ToString()
            {
                return Name + new string('*', Pointers);
            }
        }

        private sealed class CFunction
        {
            internal CType Result;
            internal List<CType> Parameters = new List<CType>();
        }

        internal static string HeaderPath
        {
            get
            {
                string path = Environment.GetEnvironmentVariable("EDGEMODULE_HEADER");
                return string.IsNullOrEmpty(path)
                    ? Path.Combine(Hub.RepositoryRoot, "bindings-c", "include", "edgemodule.h")
                    : path;
            }
        }

        private static CType ParseType(string text)
        {
            string t = Regex.Replace(text, @"\bconst\b", " ");
            int pointers = t.Count(c => c == '*');
            return new CType
            {
                Name = Regex.Replace(t.Replace("*", " "), @"\s+", " ").Trim(),
                Pointers = pointers,
                ConstPointee = Regex.IsMatch(text, @"^\s*const\b"),
            };
        }

        /// <summary>"int32_t *state" → (int32_t, 1); the last word is the parameter's name.</summary>
        private static CType ParseParameter(string text)
        {
            Match m = Regex.Match(text.Trim(), @"^(.*?)(\w+)$", RegexOptions.Singleline);
            Assert.IsTrue(m.Success, "cannot read parameter '" + text + "'");
            return ParseType(m.Groups[1].Value);
        }

        private static List<CType> ParseParameters(string list)
        {
            string trimmed = list.Trim();
            if (trimmed == "void" || trimmed.Length == 0)
            {
                return new List<CType>();
            }
            return trimmed.Split(',').Select(ParseParameter).ToList();
        }

        /// <summary>The header's functions and callback typedefs (comments and preprocessor lines removed).</summary>
        private static void ReadHeader(out Dictionary<string, CFunction> functions, out Dictionary<string, CFunction> callbacks)
        {
            string text = File.ReadAllText(HeaderPath);
            text = Regex.Replace(text, @"/\*.*?\*/", " ", RegexOptions.Singleline);
            text = Regex.Replace(text, @"//[^\n]*", " ");
            text = Regex.Replace(text, @"^\s*#[^\n]*", " ", RegexOptions.Multiline);
            text = Regex.Replace(text, @"extern\s+""C""\s*\{", " ");
            functions = new Dictionary<string, CFunction>();
            callbacks = new Dictionary<string, CFunction>();
            foreach (string raw in text.Split(';'))
            {
                string statement = Regex.Replace(raw, @"\s+", " ").Trim().TrimStart('}').Trim();
                Match cb = Regex.Match(statement, @"^typedef (.+?)\(\s*\*\s*(\w+)\s*\)\s*\((.*)\)$");
                if (cb.Success)
                {
                    callbacks[cb.Groups[2].Value] = new CFunction
                    {
                        Result = ParseType(cb.Groups[1].Value),
                        Parameters = ParseParameters(cb.Groups[3].Value),
                    };
                    continue;
                }
                Match fn = Regex.Match(statement, @"^([\w\s\*]+?)\b(edgemodule_\w+)\s*\((.*)\)$");
                if (fn.Success && !statement.StartsWith("typedef", StringComparison.Ordinal))
                {
                    functions[fn.Groups[2].Value] = new CFunction
                    {
                        Result = ParseType(fn.Groups[1].Value),
                        Parameters = ParseParameters(fn.Groups[3].Value),
                    };
                }
            }
        }

        private static readonly Dictionary<string, Type> Scalars = new Dictionary<string, Type>
        {
            { "int32_t", typeof(int) }, { "uint32_t", typeof(uint) }, { "int64_t", typeof(long) },
            { "uint64_t", typeof(ulong) }, { "uint16_t", typeof(ushort) }, { "int16_t", typeof(short) },
            { "uint8_t", typeof(byte) }, { "int8_t", typeof(sbyte) }, { "size_t", typeof(UIntPtr) },
            { "double", typeof(double) }, { "float", typeof(float) }, { "bool", typeof(bool) },
        };

        /// <summary>Why <paramref name="managed"/> does not marshal to <paramref name="c"/> (null when it does).</summary>
        private static string Mismatch(CType c, Type managed, bool inCallback, Dictionary<string, CFunction> callbacks)
        {
            bool byRef = managed.IsByRef;
            Type t = byRef ? managed.GetElementType() : managed;
            if (c.Pointers == 0 && c.Name == "void")
            {
                return managed == typeof(void) ? null : "void expected";
            }
            if (c.Pointers == 0 && callbacks.ContainsKey(c.Name))
            {
                if (!typeof(Delegate).IsAssignableFrom(t))
                {
                    return "a delegate expected for " + c.Name;
                }
                var attribute = (UnmanagedFunctionPointerAttribute)Attribute.GetCustomAttribute(t, typeof(UnmanagedFunctionPointerAttribute));
                if (attribute == null || attribute.CallingConvention != CallingConvention.Cdecl)
                {
                    return t.Name + " lacks [UnmanagedFunctionPointer(CallingConvention.Cdecl)]";
                }
                string why = Compare(callbacks[c.Name], t.GetMethod("Invoke"), true, callbacks);
                return why == null ? null : t.Name + " vs " + c.Name + ": " + why;
            }
            if (c.Pointers == 0)
            {
                Type expected;
                if (!Scalars.TryGetValue(c.Name, out expected))
                {
                    return "unknown C type " + c;
                }
                return !byRef && t == expected ? null : expected.Name + " expected";
            }
            if (t == typeof(IntPtr) && !byRef)
            {
                return null; // Any pointer may travel as IntPtr.
            }
            if (c.Pointers == 1)
            {
                Type scalar;
                if (byRef && Scalars.TryGetValue(c.Name, out scalar))
                {
                    return t == scalar ? null : "ref/out " + scalar.Name + " expected";
                }
                if (!inCallback && !byRef && t == typeof(byte[]) && (c.Name == "char" || c.Name == "uint8_t"))
                {
                    return null;
                }
                if (!inCallback && !byRef && c.ConstPointee && t.IsArray && Scalars.TryGetValue(c.Name, out scalar)
                    && t.GetElementType() == scalar)
                {
                    return null; // An input array of scalars (const size_t *lengths as UIntPtr[]).
                }
                if (!inCallback && !byRef && typeof(SafeHandle).IsAssignableFrom(t) && c.Name.StartsWith("edgemodule_", StringComparison.Ordinal))
                {
                    return null;
                }
                if (!inCallback && byRef && t.IsValueType && c.Name == "edgemodule_options_t" && t == typeof(NativeOptions))
                {
                    return null;
                }
                if (Scalars.TryGetValue(c.Name, out scalar) && !inCallback)
                {
                    return "ref/out " + scalar.Name + " or IntPtr expected";
                }
                return "IntPtr" + (c.Name == "char" || c.Name == "uint8_t" ? " or byte[]" : "") + " expected";
            }
            if (c.Pointers == 2)
            {
                if (byRef && (t == typeof(IntPtr) || typeof(SafeHandle).IsAssignableFrom(t)))
                {
                    return null;
                }
                if (!byRef && t == typeof(IntPtr[]))
                {
                    return null;
                }
                return "out IntPtr, out SafeHandle or IntPtr[] expected";
            }
            return "unsupported C type " + c;
        }

        private static string Compare(CFunction c, MethodInfo managed, bool inCallback, Dictionary<string, CFunction> callbacks)
        {
            ParameterInfo[] parameters = managed.GetParameters();
            if (parameters.Length != c.Parameters.Count)
            {
                return c.Parameters.Count + " parameters in C, " + parameters.Length + " in C#";
            }
            string result = Mismatch(c.Result, managed.ReturnType, inCallback, callbacks);
            if (result != null)
            {
                return "result " + c.Result + ": " + result + ", C# has " + managed.ReturnType.Name;
            }
            for (int i = 0; i < parameters.Length; i++)
            {
                string why = Mismatch(c.Parameters[i], parameters[i].ParameterType, inCallback, callbacks);
                if (why != null)
                {
                    return "parameter " + (i + 1) + " (" + parameters[i].Name + ", C " + c.Parameters[i] + "): " + why +
                        ", C# has " + parameters[i].ParameterType.Name;
                }
            }
            return null;
        }

        [Test]
        public void NativeMethodsMatchTheHeader()
        {
            Dictionary<string, CFunction> functions, callbacks;
            ReadHeader(out functions, out callbacks);
            Assert.Greater(functions.Count, 40, "the header parser found too few functions in " + HeaderPath);
            Assert.Greater(callbacks.Count, 5, "the header parser found too few callback typedefs");

            var problems = new List<string>();
            var declared = new HashSet<string>();
            foreach (MethodInfo m in typeof(NativeMethods).GetMethods(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public))
            {
                if ((m.Attributes & MethodAttributes.PinvokeImpl) == 0)
                {
                    continue;
                }
                var import = (DllImportAttribute)Attribute.GetCustomAttribute(m, typeof(DllImportAttribute));
                string entry = import != null && !string.IsNullOrEmpty(import.EntryPoint) ? import.EntryPoint : m.Name;
                declared.Add(entry);
                if (import != null && import.CallingConvention != CallingConvention.Cdecl)
                {
                    problems.Add(entry + ": not Cdecl");
                }
                CFunction c;
                if (!functions.TryGetValue(entry, out c))
                {
                    problems.Add(entry + ": declared in NativeMethods.cs, absent from the header");
                    continue;
                }
                string why = Compare(c, m, false, callbacks);
                if (why != null)
                {
                    problems.Add(entry + ": " + why);
                }
            }
            foreach (string name in functions.Keys.OrderBy(n => n, StringComparer.Ordinal))
            {
                if (!declared.Contains(name) && !NotUsed.ContainsKey(name))
                {
                    problems.Add(name + ": in the header, neither declared in NativeMethods.cs nor listed as unused");
                }
            }
            foreach (string name in NotUsed.Keys)
            {
                if (declared.Contains(name))
                {
                    problems.Add(name + ": listed as unused but declared");
                }
                if (!functions.ContainsKey(name))
                {
                    problems.Add(name + ": listed as unused but not in the header any more");
                }
            }
            Console.WriteLine("NativeMethods.cs: {0} declarations checked against {1} header functions ({2} unused)",
                declared.Count, functions.Count, NotUsed.Count);
            Assert.IsEmpty(problems, string.Join("\n", problems));
        }

        [Test]
        public void TheCheckerRefusesAMismatch()
        {
            // The checker itself: a wrong width, a missing out, a wrong arity are all caught.
            var callbacks = new Dictionary<string, CFunction>();
            var c = new CFunction
            {
                Result = ParseType("int32_t"),
                Parameters = ParseParameters("const edgemodule_client_t *client, int32_t *state, size_t len"),
            };
            MethodInfo good = typeof(NativeMirrorTests).GetMethod("Good", BindingFlags.Static | BindingFlags.NonPublic);
            MethodInfo wrongWidth = typeof(NativeMirrorTests).GetMethod("WrongWidth", BindingFlags.Static | BindingFlags.NonPublic);
            MethodInfo notOut = typeof(NativeMirrorTests).GetMethod("NotOut", BindingFlags.Static | BindingFlags.NonPublic);
            Assert.IsNull(Compare(c, good, false, callbacks));
            StringAssert.Contains("UIntPtr expected", Compare(c, wrongWidth, false, callbacks));
            StringAssert.Contains("ref/out Int32 or IntPtr expected", Compare(c, notOut, false, callbacks));
            c.Parameters.RemoveAt(2);
            StringAssert.Contains("2 parameters in C, 3 in C#", Compare(c, good, false, callbacks));
        }

        private static int Good(ClientHandle client, out int state, UIntPtr len) { state = 0; return 0; }

        private static int WrongWidth(ClientHandle client, out int state, uint len) { state = 0; return 0; }

        private static int NotOut(ClientHandle client, int state, UIntPtr len) { return 0; }
    }
}

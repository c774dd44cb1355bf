// The shared vectors of tests/vectors/ (the same rows the core is checked against in
// core/tests/vectors.rs): the C# JSON reader/writer against json.json (what serde_json reads
// and writes), the twin's JSON shape against twin.json. An op .NET does not implement (the
// core runs it before .NET sees the data) is named here with the reason, never skipped
// silently.
using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using NUnit.Framework;

namespace EdgeModule.Tests
{
    /// <summary>Reads a vector file: its cases as (name, op, input, expected or error).</summary>
    internal static class Vectors
    {
        internal sealed class Case
        {
            internal string Name;
            internal string Op;
            internal object Input;
            internal object Expected;
            internal string Error;
        }

        internal static string Dir
        {
            get
            {
                string dir = Environment.GetEnvironmentVariable("EDGEMODULE_VECTORS");
                return string.IsNullOrEmpty(dir) ? Path.Combine(Hub.RepositoryRoot, "tests", "vectors") : dir;
            }
        }

        internal static List<Case> Load(string file)
        {
            var doc = (TwinCollection)Json.Parse(File.ReadAllText(Path.Combine(Dir, file), Encoding.UTF8));
            var cases = new List<Case>();
            foreach (object item in (List<object>)doc["cases"])
            {
                var c = (TwinCollection)item;
                object expected, error;
                cases.Add(new Case
                {
                    Name = (string)c["name"],
                    Op = (string)c["op"],
                    Input = c["input"],
                    Expected = c.TryGetValue("expected", out expected) ? expected : null,
                    Error = c.TryGetValue("error", out error) ? (string)error : null,
                });
            }
            Assert.IsNotEmpty(cases, file + " has no cases");
            return cases;
        }

        /// <summary>JSON with object members sorted (member order is not part of any contract).</summary>
        internal static string Canonical(object value)
        {
            var sb = new StringBuilder();
            WriteCanonical(sb, value);
            return sb.ToString();
        }

        private static void WriteCanonical(StringBuilder sb, object value)
        {
            var twin = value as TwinCollection;
            if (twin != null)
            {
                var members = twin.ToDictionary(kv => kv.Key, kv => kv.Value);
                if (!twin.Contains("$version") && twin.HasVersion)
                {
                    members["$version"] = twin.Version;
                }
                sb.Append('{');
                bool first = true;
                foreach (string name in members.Keys.OrderBy(k => k, StringComparer.Ordinal))
                {
                    sb.Append(first ? "" : ",");
                    first = false;
                    Json.WriteString(sb, name);
                    sb.Append(':');
                    WriteCanonical(sb, members[name]);
                }
                sb.Append('}');
                return;
            }
            var list = value as IList;
            if (list != null)
            {
                sb.Append('[');
                for (int i = 0; i < list.Count; i++)
                {
                    sb.Append(i == 0 ? "" : ",");
                    WriteCanonical(sb, list[i]);
                }
                sb.Append(']');
                return;
            }
            Json.Write(sb, value, 0);
        }
    }

    [TestFixture]
    public class VectorTests
    {
        [Test]
        public void JsonReaderAndWriterAgreeWithSerde()
        {
            var failures = new List<string>();
            int roundtrips = 0, refusals = 0;
            foreach (Vectors.Case c in Vectors.Load("json.json"))
            {
                var input = (string)c.Input;
                if (c.Op == "roundtrip")
                {
                    roundtrips++;
                    try
                    {
                        string written = Json.Serialize(Json.Parse(input));
                        if (written != (string)c.Expected)
                        {
                            failures.Add(c.Name + ": wrote " + written + ", serde writes " + c.Expected);
                        }
                    }
                    catch (FormatException e)
                    {
                        failures.Add(c.Name + ": refused (" + e.Message + "), serde reads it");
                    }
                }
                else if (c.Op == "parse")
                {
                    refusals++;
                    Assert.AreEqual("INVALID_ARGUMENT", c.Error, c.Name);
                    try
                    {
                        object value = Json.Parse(input);
                        failures.Add(c.Name + ": read as " + Json.Serialize(value) + ", serde refuses it");
                    }
                    catch (FormatException)
                    {
                        // Refused, as by serde.
                    }
                }
                else
                {
                    failures.Add(c.Name + ": unknown op " + c.Op);
                }
            }
            Console.WriteLine("json.json: {0} round trips and {1} refusals compared", roundtrips, refusals);
            Assert.IsEmpty(failures, string.Join("\n", failures));
            Assert.Greater(roundtrips, 10);
            Assert.Greater(refusals, 10);
        }

        [Test]
        public void TwinJsonAgreesWithTheCore()
        {
            // Ops the core runs before .NET sees a patch: .NET never merges or filters patches.
            var notDotNet = new Dictionary<string, string>
            {
                { "merge_patch", "the core merges reported patches; .NET sends the patch as is" },
                { "apply_desired", ".NET keeps no twin cache to apply patches to" },
                { "tracker", "the core filters stale and duplicate patches before the callback" },
            };
            var failures = new List<string>();
            var counts = new Dictionary<string, int>();
            var notRepresentable = new List<string>();
            foreach (Vectors.Case c in Vectors.Load("twin.json"))
            {
                int n;
                counts[c.Op] = counts.TryGetValue(c.Op, out n) ? n + 1 : 1;
                string why = null;
                if (notDotNet.ContainsKey(c.Op))
                {
                    continue;
                }
                if (c.Op == "parse")
                {
                    why = Parse(c);
                }
                else if (c.Op == "to_json")
                {
                    if (c.Error != null)
                    {
                        // A TwinCollection is always an object: .NET cannot build this input.
                        notRepresentable.Add(c.Name);
                        continue;
                    }
                    why = ToJson(c);
                }
                else if (c.Op == "desired_patch_json")
                {
                    why = DesiredPatch(c);
                }
                else
                {
                    why = "unknown op " + c.Op;
                }
                if (why != null)
                {
                    failures.Add(c.Name + ": " + why);
                }
            }
            Console.WriteLine("twin.json: {0}; not run by .NET: {1}; not representable in C# (sections are TwinCollections): {2}",
                string.Join(", ", counts.Select(kv => kv.Key + " " + kv.Value)),
                string.Join("; ", notDotNet.Select(kv => kv.Key + " (" + kv.Value + ")")),
                string.Join(", ", notRepresentable));
            Assert.IsEmpty(failures, string.Join("\n", failures));
            Assert.Greater(counts["parse"], 3);
            Assert.Less(notRepresentable.Count, counts["to_json"], "some to_json case ran");
        }

        private static string Parse(Vectors.Case c)
        {
            string text = Json.Serialize(c.Input);
            Twin twin;
            try
            {
                twin = Twin.FromJson("device", "module", text);
            }
            catch (EdgeModuleException e)
            {
                if (c.Error == null)
                {
                    return "failed: " + e.Message;
                }
                return e.CodeName == c.Error ? null : "failed with " + e.CodeName + ", expected " + c.Error;
            }
            if (c.Error != null)
            {
                return "read, expected " + c.Error;
            }
            var expected = (TwinCollection)c.Expected;
            TwinCollection desired = Members(twin.Properties.Desired);
            TwinCollection reported = Members(twin.Properties.Reported);
            string got = Vectors.Canonical(desired) + " " + Vectors.Canonical(reported) + " " +
                twin.Properties.Desired.Version + " " + twin.Properties.Reported.Version;
            string want = Vectors.Canonical(expected["desired"]) + " " + Vectors.Canonical(expected["reported"]) + " " +
                expected["desired_version"] + " " + expected["reported_version"];
            return got == want ? null : "got " + got + ", expected " + want;
        }

        /// <summary>The members without $version.</summary>
        private static TwinCollection Members(TwinCollection section)
        {
            var copy = new TwinCollection();
            foreach (KeyValuePair<string, object> kv in section)
            {
                copy[kv.Key] = kv.Value;
            }
            return copy;
        }

        private static TwinCollection Section(object value, object version)
        {
            var section = value == null ? new TwinCollection() : Members((TwinCollection)value);
            section.Version = (long)version;
            return section;
        }

        private static string ToJson(Vectors.Case c)
        {
            var input = (TwinCollection)c.Input;
            var twin = new Twin("device", "module", new TwinProperties(
                Section(input["desired"], input["desired_version"]), Section(input["reported"], input["reported_version"])));
            string got = Vectors.Canonical(Json.Parse(twin.ToJson()));
            string want = Vectors.Canonical(c.Expected);
            return got == want ? null : "wrote " + got + ", expected " + want;
        }

        /// <summary>The callback's TwinCollection is the core's patch JSON as it is: reading and writing it keeps it.</summary>
        private static string DesiredPatch(Vectors.Case c)
        {
            string coreJson = Json.Serialize(c.Expected);
            var patch = new TwinCollection(coreJson);
            var expected = (TwinCollection)c.Expected;
            long expectedVersion = expected.HasVersion ? expected.Version : 0;
            if (patch.Version != expectedVersion)
            {
                return "Version " + patch.Version + ", expected " + expectedVersion;
            }
            string got = Vectors.Canonical(Json.Parse(patch.ToJson()));
            string want = Vectors.Canonical(c.Expected);
            return got == want ? null : "wrote " + got + ", expected " + want;
        }
    }
}

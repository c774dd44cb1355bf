// The core's tables as .NET exposes them, compared with the shared vectors: error codes
// (errors.json), connection states and reasons (status.json), the system-property codes
// (system_properties.json) and the option names ClientOptions maps to (options.json). An op
// .NET does not expose is named with the reason, never skipped silently.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using EdgeModule.Native;
using NUnit.Framework;

namespace EdgeModule.Tests
{
    [TestFixture]
    public class TableTests
    {
        [Test]
        public void ErrorCodesDescriptionsAndTransienceAreTheCoresTable()
        {
            int compared = 0;
            var notDotNet = new Dictionary<string, string>
            {
                { "from_status", "the core maps hub statuses to codes before .NET sees an error" },
            };
            var failures = new List<string>();
            foreach (Vectors.Case c in Vectors.Load("errors.json"))
            {
                if (notDotNet.ContainsKey(c.Op))
                {
                    continue;
                }
                if (c.Op == "all_codes")
                {
                    var names = ((List<object>)c.Expected).Cast<string>().ToList();
                    var codes = Enum.GetValues(typeof(ErrorCode)).Cast<ErrorCode>().OrderBy(x => (int)x).ToList();
                    CollectionAssert.AreEqual(Enumerable.Range(0, names.Count), codes.Select(x => (int)x), "ErrorCode values");
                    CollectionAssert.AreEqual(names, codes.Select(EdgeModuleException.NameOf), c.Name);
                    compared++;
                    continue;
                }
                if (c.Op != "code")
                {
                    failures.Add(c.Name + ": unknown op " + c.Op);
                    continue;
                }
                var code = (ErrorCode)Convert.ToInt32(c.Input);
                var row = c.Expected as TwinCollection;
                if (row == null)
                {
                    Expect(failures, c.Name, "UNKNOWN", EdgeModuleException.NameOf(code));
                    Expect(failures, c.Name, null, EdgeModuleException.DescriptionOf(code));
                    Expect(failures, c.Name, false, EdgeModuleException.IsTransientCode(code));
                    compared++;
                    continue;
                }
                Expect(failures, c.Name, row["name"], EdgeModuleException.NameOf(code));
                Expect(failures, c.Name, row["description"], EdgeModuleException.DescriptionOf(code));
                Expect(failures, c.Name, row["transient"], EdgeModuleException.IsTransientCode(code));
                if (code != ErrorCode.Ok)
                {
                    EdgeModuleException e = EdgeModuleException.FromCode((int)code, "x");
                    Expect(failures, c.Name, row["name"], e.CodeName);
                    Expect(failures, c.Name, row["description"], e.Description);
                    Expect(failures, c.Name, row["transient"], e.IsTransient);
                }
                compared++;
            }
            Console.WriteLine("errors.json: {0} cases compared; not run by .NET: {1}", compared,
                string.Join("; ", notDotNet.Select(kv => kv.Key + " (" + kv.Value + ")")));
            Assert.IsEmpty(failures, string.Join("\n", failures));
            Assert.Greater(compared, 14);
        }

        [Test]
        public void StatusNamesAndReasonDescriptionsAreTheCoresTable()
        {
            int compared = 0;
            var notDotNet = new Dictionary<string, string>
            {
                { "refusal", "the core decides how a refused connection is reported; .NET receives the result" },
            };
            var failures = new List<string>();
            foreach (Vectors.Case c in Vectors.Load("status.json"))
            {
                if (notDotNet.ContainsKey(c.Op))
                {
                    continue;
                }
                if (c.Op == "all_states" || c.Op == "all_reasons")
                {
                    bool states = c.Op == "all_states";
                    Type type = states ? typeof(ConnectionStatus) : typeof(ConnectionStatusChangeReason);
                    var names = ((List<object>)c.Expected).Cast<string>().ToList();
                    List<int> values = Enum.GetValues(type).Cast<object>().Select(Convert.ToInt32).OrderBy(x => x).ToList();
                    CollectionAssert.AreEqual(Enumerable.Range(0, names.Count), values, type.Name + " values");
                    CollectionAssert.AreEqual(names, values.Select(v => states ? Info(v, 0).StatusName : Info(0, v).ReasonName),
                        c.Name);
                    compared++;
                    continue;
                }
                if (c.Op != "state" && c.Op != "reason")
                {
                    failures.Add(c.Name + ": unknown op " + c.Op);
                    continue;
                }
                int code = Convert.ToInt32(c.Input);
                var row = c.Expected as TwinCollection;
                if (c.Op == "state")
                {
                    // The C ABI has no state descriptions: the names are compared.
                    Expect(failures, c.Name, row == null ? null : row["name"], Info(code, 0).StatusName);
                }
                else
                {
                    Expect(failures, c.Name, row == null ? null : row["name"], Info(0, code).ReasonName);
                    Expect(failures, c.Name, row == null ? null : row["description"], Info(0, code).ReasonDescription);
                }
                compared++;
            }
            Console.WriteLine("status.json: {0} cases compared (state descriptions are not in the C ABI); not run by .NET: {1}",
                compared, string.Join("; ", notDotNet.Select(kv => kv.Key + " (" + kv.Value + ")")));
            Assert.IsEmpty(failures, string.Join("\n", failures));
            Assert.Greater(compared, 10);
        }

        private static ConnectionStatusInfo Info(int state, int reason)
        {
            return new ConnectionStatusInfo((ConnectionStatus)state, (ConnectionStatusChangeReason)reason);
        }

        [Test]
        public void SystemPropertyCodesAreTheCoresTable()
        {
            Vectors.Case all = Vectors.Load("system_properties.json").First(c => c.Op == "all");
            var names = ((List<object>)all.Expected).Cast<string>().ToList();
            FieldInfo[] constants = typeof(NativeMethods).GetFields(BindingFlags.Static | BindingFlags.NonPublic)
                .Where(f => f.Name.StartsWith("Property", StringComparison.Ordinal) && f.IsLiteral).ToArray();
            var failures = new List<string>();
            for (int code = 0; code < names.Count; code++)
            {
                string field = "Property" + string.Concat(names[code].Split('_')
                    .Select(w => char.ToUpperInvariant(w[0]) + w.Substring(1)));
                FieldInfo f = constants.FirstOrDefault(x => x.Name == field);
                if (f == null)
                {
                    failures.Add(names[code] + ": no NativeMethods." + field);
                }
                else if ((int)f.GetRawConstantValue() != code)
                {
                    failures.Add(names[code] + ": " + field + " = " + f.GetRawConstantValue() + ", the core's code is " + code);
                }
            }
            Assert.AreEqual(names.Count, constants.Length, "NativeMethods has property constants the core lacks");
            Assert.IsEmpty(failures, string.Join("\n", failures));
        }

        [Test]
        public void ClientOptionsMapToEveryCoreOptionByName()
        {
            Vectors.Case names = Vectors.Load("options.json").First(c => c.Op == "names");
            var every = new ClientOptions
            {
                MqttPort = 1, HttpsPort = 2, OperationTimeout = TimeSpan.FromSeconds(3), KeepAlive = TimeSpan.FromSeconds(4),
                SasTokenTimeToLive = TimeSpan.FromSeconds(5), SasTokenRenewalPercent = 6, MaxInflight = 7,
                RedeliveryDelay = TimeSpan.FromMilliseconds(8), HandlerAttempts = 9,
                RetryInitialDelay = TimeSpan.FromMilliseconds(10), RetryMaxDelay = TimeSpan.FromMilliseconds(11),
                RetryMultiplier = 1.5, RetryJitter = 0.25, RetryGiveUpAfter = TimeSpan.FromMilliseconds(12),
                TrustBundlePem = "pem", TrustBundleFile = "file", ProductInfo = "p", ModelId = "dtmi:x;1",
            };
            CollectionAssert.AreEqual(((List<object>)names.Expected).Cast<string>(),
                every.ToCoreOptions().Select(kv => kv.Key), "in the core's table order");
            Assert.AreEqual("{\"operation_timeout_ms\":1500,\"retry_multiplier\":1.5}",
                new ClientOptions { OperationTimeout = TimeSpan.FromSeconds(1.5), RetryMultiplier = 1.5 }.ToCoreOptionsJson());
            Assert.IsNull(new ClientOptions().ToCoreOptionsJson(), "nothing set: no options_json");
        }

        [Test]
        public void TheCoreChecksOptionValuesAndNamesTheOption()
        {
            const string cs = "HostName=h;GatewayHostName=127.0.0.1;DeviceId=d;ModuleId=m;SharedAccessKey=a2V5";
            var cases = new Dictionary<string, ClientOptions>
            {
                { "mqtt_port", new ClientOptions { MqttPort = 0 } },
                { "handler_attempts", new ClientOptions { HandlerAttempts = 0 } },
                { "redelivery_delay_ms", new ClientOptions { RedeliveryDelay = TimeSpan.FromTicks(15000) } },
                { "retry_jitter", new ClientOptions { RetryJitter = 2.0 } },
            };
            foreach (KeyValuePair<string, ClientOptions> c in cases)
            {
                var e = Assert.Throws<InvalidArgumentException>(
                    () => ModuleClient.CreateFromConnectionString(cs, c.Value).Dispose(), c.Key);
                StringAssert.Contains(c.Key, e.Message);
            }
        }

        private static void Expect(List<string> failures, string name, object expected, object actual)
        {
            if (!Equals(expected, actual))
            {
                failures.Add(name + ": expected " + (expected ?? "null") + ", got " + (actual ?? "null"));
            }
        }
    }
}

namespace EdgeModule.Tests
{
    [TestFixture]
    public class LogRecordTests
    {
        [Test]
        public void FieldsTextIsReadBackIntoPairs()
        {
            // As bindings-common's LogRecord::fields_text writes them (Rust {:?} for values
            // with a space or empty).
            string text = "module=receiver reason=NO_NETWORK error=\"I/O: \\\"refused\\\" \\u{e9}\\n\" empty=\"\" attempt=2";
            List<KeyValuePair<string, string>> fields = NativeLog.ParseFields(text);
            CollectionAssert.AreEqual(new[] { "module", "reason", "error", "empty", "attempt" }, fields.Select(f => f.Key));
            CollectionAssert.AreEqual(new[] { "receiver", "NO_NETWORK", "I/O: \"refused\" \u00e9\n", "", "2" },
                fields.Select(f => f.Value));
            Assert.IsEmpty(NativeLog.ParseFields(""));
        }

        [Test]
        public void LevelsMapBothWays()
        {
            foreach (LogLevel level in new[] { LogLevel.Trace, LogLevel.Debug, LogLevel.Information, LogLevel.Warning, LogLevel.Error })
            {
                Assert.AreEqual(level, NativeLog.Level(NativeLog.NativeLevel(level)));
            }
            Assert.AreEqual(0, NativeLog.NativeLevel(LogLevel.None), "EDGEMODULE_LOG_OFF");
        }
    }
}

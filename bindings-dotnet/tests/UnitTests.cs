// Tests without a hub: error mapping, ABI layout, JSON and message conversions.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using EdgeModule.Native;
using NUnit.Framework;

namespace EdgeModule.Tests
{
    [TestFixture]
    public class ErrorTests
    {
        [Test]
        public void EveryNativeCodeMapsToItsOwnSubclassAndName()
        {
            var types = new HashSet<Type>();
            for (int code = 1; code <= 13; code++)
            {
                EdgeModuleException e = EdgeModuleException.FromCode(code, "text");
                Assert.AreEqual(code, (int)e.Code);
                Assert.AreEqual("text", e.Message);
                Assert.AreNotEqual(typeof(EdgeModuleException), e.GetType());
                Assert.IsTrue(types.Add(e.GetType()), "two codes share " + e.GetType().Name);
                string native = Utf8.FromNulTerminated(NativeMethods.edgemodule_error_name(code));
                Assert.AreEqual(native, e.CodeName, "code " + code);
            }
            Assert.AreEqual("OK", Utf8.FromNulTerminated(NativeMethods.edgemodule_error_name(0)));
            EdgeModuleException unknown = EdgeModuleException.FromCode(99, "x");
            Assert.IsInstanceOf<InternalErrorException>(unknown);
            StringAssert.Contains("99", unknown.Message);
            Assert.IsTrue(EdgeModuleException.FromCode(4, "").IsTransient);
            Assert.IsTrue(EdgeModuleException.FromCode(5, "").IsTransient);
            Assert.IsTrue(EdgeModuleException.FromCode(12, "").IsTransient);
            Assert.IsFalse(EdgeModuleException.FromCode(3, "").IsTransient);
        }

        [Test]
        public void NativeErrorsCarryTheLibrarysMessage()
        {
            var e = Assert.Throws<ConfigurationException>(() =>
                ModuleClient.CreateFromConnectionString("HostName=h;DeviceId=d", new ClientOptions()));
            Assert.IsNotEmpty(e.Message);
            Assert.AreNotEqual("CONFIG", e.Message, "the native message is passed on");
        }
    }

    [TestFixture]
    public class AbiTests
    {
        [Test]
        public void OptionsStructMatchesTheCLayout()
        {
            var options = new NativeOptions();
            NativeMethods.edgemodule_options_init(ref options);
            Assert.AreEqual((ulong)Marshal.SizeOf(typeof(NativeOptions)), options.StructSize.ToUInt64(),
                "sizeof(edgemodule_options_t)");
            // Offsets printed by tests/abi/offsets.c, compiled against the header (the Makefile runs it).
            string file = Environment.GetEnvironmentVariable("EDGEMODULE_ABI_OFFSETS");
            if (string.IsNullOrEmpty(file))
            {
                Assert.Ignore("EDGEMODULE_ABI_OFFSETS is not set (run through the Makefile)");
            }
            var names = new Dictionary<string, string>
            {
                { "struct_size", "StructSize" }, { "connection_string", "ConnectionString" },
                { "connection_string_len", "ConnectionStringLen" }, { "trust_bundle_pem", "TrustBundlePem" },
                { "trust_bundle_pem_len", "TrustBundlePemLen" }, { "product_info", "ProductInfo" },
                { "product_info_len", "ProductInfoLen" }, { "model_id", "ModelId" }, { "model_id_len", "ModelIdLen" },
                { "mqtt_port", "MqttPort" }, { "https_port", "HttpsPort" }, { "max_inflight", "MaxInflight" },
                { "operation_timeout_ms", "OperationTimeoutMs" }, { "keep_alive_s", "KeepAliveS" },
                { "sas_ttl_s", "SasTtlS" }, { "redelivery_delay_ms", "RedeliveryDelayMs" },
                { "retry_initial_delay_ms", "RetryInitialDelayMs" }, { "retry_max_delay_ms", "RetryMaxDelayMs" },
                { "retry_give_up_after_ms", "RetryGiveUpAfterMs" }, { "options_json", "OptionsJson" },
                { "options_json_len", "OptionsJsonLen" },
            };
            int checkedFields = 0;
            foreach (string line in File.ReadAllLines(file))
            {
                string[] parts = line.Split(' ');
                if (parts[0] == "sizeof")
                {
                    Assert.AreEqual(int.Parse(parts[1]), Marshal.SizeOf(typeof(NativeOptions)));
                    continue;
                }
                Assert.IsTrue(names.ContainsKey(parts[0]), "the C struct has a field the mirror lacks: " + parts[0]);
                Assert.AreEqual(int.Parse(parts[1]), Marshal.OffsetOf(typeof(NativeOptions), names[parts[0]]).ToInt32(), parts[0]);
                checkedFields++;
            }
            Assert.AreEqual(names.Count, checkedFields);
        }

        [Test]
        public void VersionIsTheHeadersVersion()
        {
            StringAssert.IsMatch(@"^\d+\.\d+\.\d+", EdgeModuleRuntime.NativeVersion);
        }
    }

    [TestFixture]
    public class JsonTests
    {
        [Test]
        public void ParsesAndWritesEveryKindOfValue()
        {
            var c = new TwinCollection("{\"i\":42,\"neg\":-7,\"d\":2.5,\"e\":1e3,\"s\":\"a\\\"b\\\\c\\n\\u00e9\",\"t\":true,\"f\":false," +
                "\"n\":null,\"a\":[1,\"x\",[]],\"o\":{\"k\":{}},\"$version\":9}");
            Assert.AreEqual(42L, c["i"]);
            Assert.AreEqual(-7L, c["neg"]);
            Assert.AreEqual(2.5, c["d"]);
            Assert.AreEqual(1000.0, c["e"]);
            Assert.AreEqual("a\"b\\c\né", c["s"]);
            Assert.AreEqual(true, c["t"]);
            Assert.AreEqual(false, c["f"]);
            Assert.IsNull(c["n"]);
            Assert.IsTrue(c.Contains("n"));
            CollectionAssert.AreEqual(new object[] { 1L, "x", new List<object>() }, (List<object>)c["a"]);
            Assert.AreEqual(0, ((TwinCollection)((TwinCollection)c["o"])["k"]).Count);
            Assert.AreEqual(9, c.Version);
            Assert.AreEqual(10, c.Count, "$version is not a member");
            Assert.AreEqual(new[] { "i", "neg", "d", "e", "s", "t", "f", "n", "a", "o" }, c.Select(kv => kv.Key).ToArray());
            string json = c.ToJson();
            Assert.AreEqual("{\"i\":42,\"neg\":-7,\"d\":2.5,\"e\":1000.0,\"s\":\"a\\\"b\\\\c\\né\",\"t\":true,\"f\":false," +
                "\"n\":null,\"a\":[1,\"x\",[]],\"o\":{\"k\":{}},\"$version\":9}", json);
            Assert.AreEqual(json, new TwinCollection(json).ToJson());
            Assert.AreEqual(25.0, c.GetValueOrDefault("d", 25.0) * 10);
            Assert.AreEqual(42.0, c.GetValueOrDefault("i", 0.0));
            Assert.AreEqual(7, c.GetValueOrDefault("missing", 7));
            Assert.AreEqual(7, c.GetValueOrDefault("s", 7));
            Assert.Throws<KeyNotFoundException>(() => { object x = c["missing"]; });
        }

        [Test]
        public void RejectsInvalidJson()
        {
            foreach (string bad in new[] { "", "{", "[1,2]", "{\"a\":}", "{\"a\":1,}", "{'a':1}", "{\"a\":01}", "{\"a\":1} x",
                "{\"a\":\"\u0001\"}", "{\"a\":tru}", "{\"a\":1.}", "{\"a\":-}" })
            {
                Assert.Throws<ArgumentException>(() => new TwinCollection(bad), bad);
            }
        }

        [Test]
        public void BuildsPatchesFromDotNetValues()
        {
            var patch = new TwinCollection();
            patch["int"] = 3;
            patch["double"] = 0.1;
            patch["decimal"] = 1.5m;
            patch["string"] = "x";
            patch["null"] = null;
            patch["list"] = new[] { 1, 2 };
            patch["dict"] = new Dictionary<string, object> { { "k", "v" } };
            patch["when"] = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);
            patch["nested"] = new TwinCollection("{\"a\":1}");
            Assert.AreEqual("{\"int\":3,\"double\":0.1,\"decimal\":1.5,\"string\":\"x\",\"null\":null,\"list\":[1,2]," +
                "\"dict\":{\"k\":\"v\"},\"when\":\"2026-01-02T03:04:05Z\",\"nested\":{\"a\":1}}", patch.ToJson());
            patch["bad"] = new object();
            Assert.Throws<ArgumentException>(() => patch.ToJson());
            Assert.IsTrue(patch.Remove("bad"));
            Assert.IsFalse(patch.Remove("bad"));
        }
    }

    [TestFixture]
    public class MessageTests
    {
        [Test]
        public void TimesRoundTripAsIso8601Utc()
        {
            Assert.AreEqual("2026-11-26T10:00:00Z", Message.FormatTime(new DateTime(2026, 11, 26, 10, 0, 0, DateTimeKind.Utc)));
            Assert.AreEqual("2026-11-26T10:00:00.25Z", Message.FormatTime(new DateTime(2026, 11, 26, 10, 0, 0, 250, DateTimeKind.Utc)));
            Assert.IsNull(Message.FormatTime(DateTime.MinValue));
            DateTime parsed = Message.ParseTime("2026-11-26T10:00:00.25Z");
            Assert.AreEqual(DateTimeKind.Utc, parsed.Kind);
            Assert.AreEqual(new DateTime(2026, 11, 26, 10, 0, 0, 250, DateTimeKind.Utc), parsed);
            Assert.AreEqual(DateTime.MinValue, Message.ParseTime("not a time"));
        }

        [Test]
        public void NativeCopyHoldsBodyAndProperties()
        {
            var m = new Message(new MemoryStream(new byte[] { 1, 2, 3 })) { MessageId = "id", ContentType = "application/json" };
            m.Properties["k"] = "v";
            using (MessageHandle native = m.ToNative())
            {
                Message back = Message.FromNative(native.DangerousGetHandle());
                CollectionAssert.AreEqual(new byte[] { 1, 2, 3 }, back.GetBytes());
                Assert.AreEqual("id", back.MessageId);
                Assert.AreEqual("application/json", back.ContentType);
                Assert.AreEqual("v", back.Properties["k"]);
                Assert.IsNull(back.InputName);
            }
            Message copy = m.Clone();
            Assert.AreNotSame(m.GetBytes(), copy.GetBytes());
            Assert.AreEqual("v", copy.Properties["k"]);
        }

        [Test]
        public void MethodTypesKeepJsonAsUtf8()
        {
            var request = new MethodRequest("m", "{\"x\":\"é\"}");
            Assert.AreEqual("{\"x\":\"é\"}", request.DataAsJson);
            Assert.IsNull(new MethodRequest("m").DataAsJson);
            Assert.Throws<ArgumentException>(() => new MethodRequest(""));
            var response = new MethodResponse(Bytes.Of("[1]"), 201);
            Assert.AreEqual("[1]", response.ResultAsJson);
            Assert.IsNull(new MethodResponse(204).ResultAsJson);
        }
    }
}

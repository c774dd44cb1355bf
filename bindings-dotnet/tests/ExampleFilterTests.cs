// examples/dotnet/filter behaves like the Rust filter: forwards hot readings, reports the
// threshold, answers reset, follows desired-property changes, stops on SIGTERM.
using System;
using System.Diagnostics;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading.Tasks;
using NUnit.Framework;

namespace EdgeModule.Tests
{
    [TestFixture]
    public class ExampleFilterTests
    {
        [DllImport("libc")]
        private static extern int kill(int pid, int signal);

        [Test]
        public void DotNetFilterExample()
        {
            string exe = Environment.GetEnvironmentVariable("EDGEMODULE_FILTER_EXE");
            if (string.IsNullOrEmpty(exe) || !File.Exists(exe))
            {
                Assert.Ignore("EDGEMODULE_FILTER_EXE is not set (run through the Makefile)");
            }
            Wait.Run(async () =>
            {
                using (Hub hub = Hub.Start())
                using (ModuleClient receiver = hub.Client("receiver"))
                using (ModuleClient sender = hub.Client("sender"))
                using (Process module = Process.Start(Child.StartInfo(exe, "", hub.Env("filter", "workload"))))
                {
                    var lines = new Inbox<string>();
                    module.OutputDataReceived += (s, e) => { if (e.Data != null) lines.Add(e.Data); };
                    module.ErrorDataReceived += (s, e) => { if (e.Data != null) lines.Add(e.Data); };
                    module.BeginOutputReadLine();
                    module.BeginErrorReadLine();
                    try
                    {
                        StringAssert.StartsWith("filter: connected as edge-device/filter, threshold 25",
                            lines.Next(30, "the filter to connect"));
                        await Wait.Until(() => ReportedThreshold(hub) == 25.0, 20, "the reported threshold");
                        hub.Invoke("filter", "reset");

                        var filtered = new Inbox<Message>();
                        await receiver.SetInputMessageHandlerAsync("filtered", MessageScenarios.Collect(filtered), null);
                        await receiver.OpenAsync();
                        double[] readings = { 20.0, 22.5, 25.0, 27.5, 30.0, 32.5 };
                        foreach (double t in readings)
                        {
                            await sender.SendEventAsync("readings", Reading(t, "one"));
                        }
                        await sender.SendEventAsync("readings", new Message(Bytes.Of("not json")));
                        var forwarded = new System.Collections.Generic.List<double>();
                        while (forwarded.Count < 3)
                        {
                            var body = new TwinCollection(Bytes.Text(filtered.Next(20, "a forwarded reading").GetBytes()));
                            Assert.AreEqual("one", body["mark"]);
                            forwarded.Add(Convert.ToDouble(body["temperature"]));
                        }
                        forwarded.Sort();
                        CollectionAssert.AreEqual(new[] { 27.5, 30.0, 32.5 }, forwarded);

                        TwinCollection reset = hub.Invoke("filter", "reset");
                        Assert.AreEqual(200L, reset["status"]);
                        var payload = (TwinCollection)reset["payload"];
                        Assert.AreEqual(true, payload["reset"]);
                        Assert.AreEqual(3L, payload["forwarded"]);
                        Assert.AreEqual(2, payload.Count);

                        hub.Twin("filter", "{\"TemperatureThreshold\":30}");
                        await Wait.Until(() => ReportedThreshold(hub) == 30.0, 20, "the new reported threshold");
                        foreach (double t in readings)
                        {
                            await sender.SendEventAsync("readings", Reading(t, "two"));
                        }
                        var only = new TwinCollection(Bytes.Text(filtered.Next(20, "the hot reading").GetBytes()));
                        Assert.AreEqual("two", only["mark"]);
                        Assert.AreEqual(32.5, Convert.ToDouble(only["temperature"]));

                        kill(module.Id, 15);
                        Assert.IsTrue(module.WaitForExit(20000), "the filter did not stop on SIGTERM");
                        module.WaitForExit();
                        Assert.AreEqual(0, module.ExitCode);
                        string line;
                        bool stopping = false;
                        while (lines.TryNext(0, out line))
                        {
                            stopping |= line == "filter: stopping";
                        }
                        Assert.IsTrue(stopping, "no 'filter: stopping' line");
                    }
                    finally
                    {
                        if (!module.HasExited)
                        {
                            module.Kill();
                        }
                    }
                }
            }, 150);
        }

        private static Message Reading(double temperature, string mark)
        {
            string json = "{\"temperature\":" + temperature.ToString(System.Globalization.CultureInfo.InvariantCulture) +
                ",\"mark\":\"" + mark + "\"}";
            return new Message(Bytes.Of(json)) { ContentType = "application/json", ContentEncoding = "utf-8" };
        }

        private static double? ReportedThreshold(Hub hub)
        {
            var reported = (TwinCollection)hub.Twin("filter")["reported"];
            object value;
            return reported.TryGetValue("TemperatureThreshold", out value) && value != null ? Convert.ToDouble(value) : (double?)null;
        }
    }
}

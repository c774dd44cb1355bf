// S01, S02, S10: creating and connecting clients.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Text;
using System.Threading.Tasks;
using NUnit.Framework;

namespace EdgeModule.Tests
{
    [TestFixture]
    public class ConnectScenarios
    {
        private static string App { get { return Child.BesideTests("ScenarioApp.exe"); } }

        [Test]
        public void S01_ConnectFromTheEdgeEnvironment()
        {
            using (Hub hub = Hub.Start())
            {
                Dictionary<string, string> env = hub.Env("sender", "workload");
                Assert.IsTrue(env.ContainsKey("IOTEDGE_WORKLOADURI"));
                Assert.IsFalse(env.ContainsKey("EdgeHubConnectionString"));
                string output;
                int rc = Child.Run(App, "env-connect", env, 60, out output);
                Assert.AreEqual(0, rc, output);
                StringAssert.Contains("before open: Disconnected (Connection_Ok)", output);
                StringAssert.Contains("handler: Connected/Connection_Ok", output);
                StringAssert.Contains("connected as " + env["IOTEDGE_DEVICEID"] + "/sender: Connected (Connection_Ok)", output);
                StringAssert.Contains("sent", output);
                // The output reached $upstream through the route.
                string upstream = hub.CliOk("monitor", "--no-follow");
                StringAssert.Contains("\\\"from\\\":\\\"env\\\"", upstream.Replace(" ", ""), upstream);
            }
        }

        [Test]
        public void S01_MissingEnvironmentIsAConfigurationError()
        {
            string output;
            int rc = Child.Run(App, "env-connect", new Dictionary<string, string>(), 60, out output);
            Assert.AreEqual(3, rc, output);
            StringAssert.Contains("error CONFIG ConfigurationException", output);
        }

        [Test]
        public void S02_ConnectFromEdgeHubConnectionString()
        {
            Wait.Run(async () =>
            {
                using (Hub hub = Hub.Start())
                {
                    // 1. The environment form without IOTEDGE_* (in a fresh process).
                    Dictionary<string, string> env = hub.Env("sender", "connection-string");
                    Assert.IsFalse(env.ContainsKey("IOTEDGE_WORKLOADURI"));
                    StringAssert.Contains("ModuleId=sender", env["EdgeHubConnectionString"]);
                    string output;
                    int rc = Child.Run(App, "env-connect", env, 60, out output);
                    Assert.AreEqual(0, rc, output);
                    StringAssert.Contains("/sender: Connected (Connection_Ok)", output);

                    // 2. Connection string + options (explicit ports and PEM).
                    string cs;
                    ClientOptions options = hub.Options("sender", out cs);
                    options.ProductInfo = "dotnet-tests/1.0";
                    using (ModuleClient client = ModuleClient.CreateFromConnectionString(cs, options))
                    {
                        Assert.AreEqual("sender", client.ModuleId);
                        Assert.AreEqual(ConnectionStatus.Disconnected, client.ConnectionStatusInfo.Status);
                        await Wait.Within(client.OpenAsync(), 30, "open");
                        Assert.AreEqual(ConnectionStatus.Connected, client.ConnectionStatusInfo.Status);
                        await Wait.Within(client.SendEventAsync("up", new Message(Bytes.Of("{}"))), 30, "send");
                    }

                    // 3. Connection string + the CA from a file named in the options.
                    var fromFile = new ClientOptions
                    {
                        TrustBundleFile = env["EdgeModuleCACertificateFile"],
                        MqttPort = hub.MqttPort,
                        HttpsPort = hub.HttpsPort,
                    };
                    using (ModuleClient client = ModuleClient.CreateFromConnectionString(cs, fromFile))
                    {
                        await Wait.Within(client.OpenAsync(), 30, "open with the CA file");
                    }

                    // Without a trust bundle the gateway's certificate cannot be trusted.
                    var noCa = new ClientOptions { MqttPort = hub.MqttPort };
                    if (Environment.GetEnvironmentVariable("EdgeModuleCACertificateFile") == null)
                    {
                        var e = Assert.Throws<ConfigurationException>(() => ModuleClient.CreateFromConnectionString(cs, noCa));
                        Assert.AreEqual(ErrorCode.Config, e.Code);
                        Assert.AreEqual("CONFIG", e.CodeName);
                    }
                    Assert.Throws<ConfigurationException>(() => ModuleClient.CreateFromConnectionString("HostName=x", options));
                    Assert.Throws<ArgumentNullException>(() => ModuleClient.CreateFromConnectionString(null));
                }
            }, 120);
        }

        [Test]
        public void S10_BadCredentialsFailFastWithUnauthorized()
        {
            Wait.Run(async () =>
            {
                using (Hub hub = Hub.Start())
                {
                    string cs;
                    ClientOptions options = hub.Options("sender", out cs);
                    options.OperationTimeout = TimeSpan.FromSeconds(3);
                    int key = cs.IndexOf("SharedAccessKey=", StringComparison.Ordinal);
                    string wrong = cs.Substring(0, key) + "SharedAccessKey=d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXk=";
                    using (ModuleClient client = ModuleClient.CreateFromConnectionString(wrong, options))
                    {
                        var statuses = new Inbox<ConnectionStatusInfo>();
                        client.SetConnectionStatusChangesHandler((s, r) => statuses.Add(new ConnectionStatusInfo(s, r)));
                        Stopwatch watch = Stopwatch.StartNew();
                        try
                        {
                            await client.OpenAsync();
                            Assert.Fail("open with a wrong key succeeded");
                        }
                        catch (UnauthorizedException e)
                        {
                            Assert.AreEqual(ErrorCode.Unauthorized, e.Code);
                            Assert.IsFalse(e.IsTransient);
                        }
                        Assert.Less(watch.Elapsed.TotalSeconds, 10, "no hang until the timeout");
                        ConnectionStatusInfo now = client.ConnectionStatusInfo;
                        Assert.AreEqual(ConnectionStatus.Disconnected, now.Status);
                        Assert.AreEqual(ConnectionStatusChangeReason.Bad_Credential, now.ChangeReason);
                        // Operations fail too, promptly, with a typed error.
                        try
                        {
                            await Wait.Within(client.SendEventAsync("output1", new Message(Bytes.Of("x"))), 15, "send");
                            Assert.Fail("send with a wrong key succeeded");
                        }
                        catch (EdgeModuleException e)
                        {
                            Assert.That(e.Code == ErrorCode.Unauthorized || e.Code == ErrorCode.Connection ||
                                e.Code == ErrorCode.Timeout, e.ToString());
                        }
                    }
                    // The right key still works.
                    using (ModuleClient client = hub.Client("sender"))
                    {
                        await Wait.Within(client.OpenAsync(), 30, "open with the right key");
                    }
                }
            }, 120);
        }
    }
}

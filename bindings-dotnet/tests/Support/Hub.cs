// Runs edgemodule-hub as a child process on free 127.0.0.1 ports in a temporary state
// directory, and drives its CLI (env, twin, invoke). The binary is $EDGEMODULE_HUB, else
// target/debug/edgemodule-hub of the repository.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;

namespace EdgeModule.Tests
{
    internal sealed class Hub : IDisposable
    {
        /// <summary>Modules sender, receiver, caller, filter; sender output1..3 → receiver input1..3, up → $upstream,
        /// sender readings → filter input1, filter output1 → receiver filtered; user topics alerts/# (sender publishes,
        /// receiver subscribes); receiver desired {"threshold":30,"nested":{"unit":"C"}}.</summary>
        internal const string Manifest = @"{""modulesContent"":{
""$edgeAgent"":{""properties.desired"":{""schemaVersion"":""1.1"",""runtime"":{""type"":""docker"",""settings"":{}},""systemModules"":{},
 ""modules"":{
  ""sender"":{""type"":""docker"",""status"":""running"",""settings"":{""image"":""sender""}},
  ""receiver"":{""type"":""docker"",""status"":""running"",""settings"":{""image"":""receiver""}},
  ""caller"":{""type"":""docker"",""status"":""running"",""settings"":{""image"":""caller""}},
  ""filter"":{""type"":""docker"",""status"":""running"",""settings"":{""image"":""filter""}}}}},
""$edgeHub"":{""properties.desired"":{""schemaVersion"":""1.2"",""routes"":{
  ""one"":""FROM /messages/modules/sender/outputs/output1 INTO BrokeredEndpoint(\""/modules/receiver/inputs/input1\"")"",
  ""two"":""FROM /messages/modules/sender/outputs/output2 INTO BrokeredEndpoint(\""/modules/receiver/inputs/input2\"")"",
  ""three"":""FROM /messages/modules/sender/outputs/output3 INTO BrokeredEndpoint(\""/modules/receiver/inputs/input3\"")"",
  ""readings"":""FROM /messages/modules/sender/outputs/readings INTO BrokeredEndpoint(\""/modules/filter/inputs/input1\"")"",
  ""filtered"":""FROM /messages/modules/filter/outputs/output1 INTO BrokeredEndpoint(\""/modules/receiver/inputs/filtered\"")"",
  ""up"":""FROM /messages/modules/sender/outputs/up INTO $upstream""},
 ""storeAndForwardConfiguration"":{""timeToLiveSecs"":7200},
 ""mqttBroker"":{""authorizations"":[
  {""identities"":[""{{iot:identity}}""],""allow"":[{""operations"":[""mqtt:connect""]}]},
  {""identities"":[""localhub.azure-devices.net/edge-device/sender""],""allow"":[{""operations"":[""mqtt:publish""],""resources"":[""alerts/#""]}]},
  {""identities"":[""localhub.azure-devices.net/edge-device/receiver""],""allow"":[{""operations"":[""mqtt:subscribe""],""resources"":[""alerts/#""]}]}]}}},
""receiver"":{""properties.desired"":{""threshold"":30,""nested"":{""unit"":""C""}}},
""filter"":{""properties.desired"":{""TemperatureThreshold"":25}}}}";

        private Process process;
        private readonly StringBuilder log = new StringBuilder();
        private bool ownsDir = true;

        private Hub(string dir)
        {
            Dir = dir;
            ManifestPath = Path.Combine(dir, "deployment.json");
            StatePath = Path.Combine(dir, "state");
        }

        internal string Dir { get; private set; }
        internal string ManifestPath { get; private set; }
        internal string StatePath { get; private set; }
        internal int MqttPort { get; private set; }
        internal int HttpsPort { get; private set; }
        internal int AdminPort { get; private set; }
        internal string Admin { get { return "127.0.0.1:" + AdminPort; } }

        internal static string Binary
        {
            get
            {
                string bin = Environment.GetEnvironmentVariable("EDGEMODULE_HUB");
                if (!string.IsNullOrEmpty(bin))
                {
                    return bin;
                }
                return Path.GetFullPath(Path.Combine(Path.GetDirectoryName(typeof(Hub).Assembly.Location), "..", "..", "..", "target",
                    "debug", "edgemodule-hub"));
            }
        }

        internal static Hub Start(string manifest = Manifest)
        {
            string dir = Path.Combine(Path.GetTempPath(), "edgemodule-dotnet-" + Guid.NewGuid().ToString("N").Substring(0, 12));
            Directory.CreateDirectory(dir);
            var hub = new Hub(dir);
            File.WriteAllText(hub.ManifestPath, manifest);
            hub.Serve(FreePort(), FreePort(), FreePort());
            return hub;
        }

        /// <summary>Starts the same state on other, fresh ports (the modules' configured gateway stays unreachable).</summary>
        internal Hub StartElsewhere()
        {
            var other = new Hub(Dir) { ownsDir = false };
            other.Serve(FreePort(), FreePort(), FreePort());
            return other;
        }

        internal void StartAgain()
        {
            Serve(MqttPort, HttpsPort, AdminPort);
        }

        private void Serve(int mqtt, int https, int admin)
        {
            var ready = new ManualResetEventSlim(false);
            var info = new ProcessStartInfo(Binary,
                string.Format("serve --manifest {0} --state {1} --bind-address 127.0.0.1 --mqtt-port {2} --https-port {3} --admin-port {4} --log-level warn",
                    Quote(ManifestPath), Quote(StatePath), mqtt, https, admin))
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            var p = new Process { StartInfo = info };
            p.OutputDataReceived += (s, e) =>
            {
                if (e.Data != null && e.Data.Contains("edgemodule-hub ready:"))
                {
                    ready.Set();
                }
            };
            p.ErrorDataReceived += (s, e) =>
            {
                if (e.Data != null)
                {
                    lock (log)
                    {
                        log.AppendLine(e.Data);
                    }
                }
            };
            p.Start();
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            process = p;
            if (!ready.Wait(TimeSpan.FromSeconds(30)))
            {
                Stop();
                throw new InvalidOperationException("the hub did not start: " + Log);
            }
            MqttPort = mqtt;
            HttpsPort = https;
            AdminPort = admin;
        }

        internal string Log
        {
            get
            {
                lock (log)
                {
                    return log.ToString();
                }
            }
        }

        [DllImport("libc", SetLastError = true)]
        private static extern int kill(int pid, int signal);

        /// <summary>SIGTERM, then SIGKILL after 10 s.</summary>
        internal void Stop()
        {
            Process p = process;
            process = null;
            if (p == null)
            {
                return;
            }
            try
            {
                if (!p.HasExited)
                {
                    kill(p.Id, 15);
                    if (!p.WaitForExit(10000))
                    {
                        p.Kill();
                        p.WaitForExit(10000);
                    }
                }
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
            p.Dispose();
        }

        public void Dispose()
        {
            Stop();
            if (!ownsDir)
            {
                return;
            }
            try
            {
                Directory.Delete(Dir, true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        /// <summary>Runs <c>edgemodule-hub args… --admin ADDR</c>; returns the exit code, stdout in <paramref name="output"/>.</summary>
        internal int Cli(out string output, params string[] args)
        {
            var quoted = new List<string>();
            foreach (string a in args)
            {
                quoted.Add(Quote(a));
            }
            quoted.Add("--admin");
            quoted.Add(Admin);
            var info = new ProcessStartInfo(Binary, string.Join(" ", quoted))
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            // The admin API needs the token in the hub's state directory.
            info.EnvironmentVariables["EDGEMODULE_HUB_STATE"] = StatePath;
            using (Process p = Process.Start(info))
            {
                var err = p.StandardError.ReadToEndAsync();
                output = p.StandardOutput.ReadToEnd();
                if (!p.WaitForExit(90000))
                {
                    p.Kill();
                    throw new TimeoutException("edgemodule-hub " + string.Join(" ", args) + " did not finish");
                }
                if (p.ExitCode != 0)
                {
                    output += err.Result;
                }
                return p.ExitCode;
            }
        }

        /// <summary>The CLI's stdout; fails the test when it exits non-zero.</summary>
        internal string CliOk(params string[] args)
        {
            string output;
            int rc = Cli(out output, args);
            if (rc != 0)
            {
                throw new InvalidOperationException("edgemodule-hub " + string.Join(" ", args) + " exited " + rc + ": " + output);
            }
            return output;
        }

        /// <summary><c>env MODULE --format dotenv --form FORM</c> parsed.</summary>
        internal Dictionary<string, string> Env(string module, string form)
        {
            var env = new Dictionary<string, string>();
            foreach (string raw in CliOk("env", module, "--format", "dotenv", "--form", form).Split('\n'))
            {
                string line = raw.Trim();
                int eq = line.IndexOf('=');
                if (line.Length == 0 || line[0] == '#' || eq < 0)
                {
                    continue;
                }
                string value = line.Substring(eq + 1);
                if (value.Length >= 2 && value[0] == '"' && value[value.Length - 1] == '"')
                {
                    value = value.Substring(1, value.Length - 2).Replace("\\\"", "\"").Replace("\\\\", "\\");
                }
                env[line.Substring(0, eq)] = value;
            }
            return env;
        }

        /// <summary>The module's connection string and options for this hub: fast retries, 20 s operations, 200 ms redelivery.</summary>
        internal ClientOptions Options(string module, out string connectionString)
        {
            Dictionary<string, string> env = Env(module, "connection-string");
            connectionString = env["EdgeHubConnectionString"];
            return new ClientOptions
            {
                TrustBundlePem = File.ReadAllText(env["EdgeModuleCACertificateFile"]),
                MqttPort = MqttPort,
                HttpsPort = HttpsPort,
                OperationTimeout = TimeSpan.FromSeconds(20),
                RedeliveryDelay = TimeSpan.FromMilliseconds(200),
                RetryInitialDelay = TimeSpan.FromMilliseconds(50),
                RetryMaxDelay = TimeSpan.FromMilliseconds(500),
            };
        }

        internal ModuleClient Client(string module, Action<ClientOptions> adjust = null)
        {
            string cs;
            ClientOptions options = Options(module, out cs);
            if (adjust != null)
            {
                adjust(options);
            }
            return ModuleClient.CreateFromConnectionString(cs, options);
        }

        /// <summary>The twin as the hub's CLI prints it (optionally after pushing a desired patch).</summary>
        internal TwinCollection Twin(string module, string desiredPatch = null)
        {
            string output = desiredPatch == null ? CliOk("twin", module) : CliOk("twin", module, "--desired", desiredPatch);
            return new TwinCollection(output);
        }

        /// <summary><c>invoke MODULE METHOD PAYLOAD --timeout S</c> parsed: {"status":…, "payload":…}.</summary>
        internal TwinCollection Invoke(string module, string method, string payload = "null", int timeoutS = 20)
        {
            return new TwinCollection(CliOk("invoke", module, method, payload, "--timeout", timeoutS.ToString(),
                "--connect-timeout", "10"));
        }

        private static int FreePort()
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            return port;
        }

        /// <summary>Quotes one argument for ProcessStartInfo.Arguments (Mono splits like the Windows runtime).</summary>
        internal static string Quote(string arg)
        {
            if (arg.Length > 0 && arg.IndexOfAny(new[] { ' ', '"', '\t', '\\', '\'' }) < 0)
            {
                return arg;
            }
            var sb = new StringBuilder("\"");
            int backslashes = 0;
            foreach (char c in arg)
            {
                if (c == '\\')
                {
                    backslashes++;
                    continue;
                }
                if (c == '"')
                {
                    sb.Append('\\', backslashes * 2 + 1);
                }
                else
                {
                    sb.Append('\\', backslashes);
                }
                backslashes = 0;
                sb.Append(c);
            }
            sb.Append('\\', backslashes * 2);
            sb.Append('"');
            return sb.ToString();
        }
    }
}

// Runs edgemodule-hub as a child process following the launcher contract of
// tests/conformance/README.md: the shared test deployment, a temporary state directory,
// ports 0 read back from the hub's ready line (no polling for free ports), restarts on the
// same addresses (S11), and the CLI (env, twin, invoke) with --admin and
// EDGEMODULE_HUB_STATE. The binary is $EDGEMODULE_HUB, else target/debug/edgemodule-hub of
// the repository; the manifest $EDGEMODULE_MANIFEST, else tests/conformance/deployment.json.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;

namespace EdgeModule.Tests
{
    internal sealed class Hub : IDisposable
    {
        private const string Ready = "edgemodule-hub ready:";

        private Process process;
        private readonly StringBuilder log = new StringBuilder();
        private bool ownsDir = true;

        private Hub(string dir)
        {
            Dir = dir;
            StatePath = Path.Combine(dir, "state");
        }

        internal string Dir { get; private set; }
        internal string StatePath { get; private set; }
        internal int MqttPort { get; private set; }
        internal int HttpsPort { get; private set; }
        internal int AdminPort { get; private set; }
        internal string Admin { get { return "127.0.0.1:" + AdminPort; } }

        /// <summary>The ready line's pairs of the last start (device, mqtt, https, admin, workload, ...).</summary>
        internal Dictionary<string, string> ReadyPairs { get; private set; }

        internal static string RepositoryRoot
        {
            get
            {
                return Path.GetFullPath(Path.Combine(Path.GetDirectoryName(typeof(Hub).Assembly.Location), "..", "..", ".."));
            }
        }

        internal static string Binary
        {
            get
            {
                string bin = Environment.GetEnvironmentVariable("EDGEMODULE_HUB");
                if (!string.IsNullOrEmpty(bin))
                {
                    return bin;
                }
                return Path.Combine(RepositoryRoot, "target", "debug", "edgemodule-hub");
            }
        }

        /// <summary>The shared test deployment every suite uses.</summary>
        internal static string ManifestPath
        {
            get
            {
                string manifest = Environment.GetEnvironmentVariable("EDGEMODULE_MANIFEST");
                if (!string.IsNullOrEmpty(manifest))
                {
                    return Path.GetFullPath(manifest);
                }
                return Path.Combine(RepositoryRoot, "tests", "conformance", "deployment.json");
            }
        }

        internal static Hub Start()
        {
            string dir = Path.Combine(Path.GetTempPath(), "edgemodule-dotnet-" + Guid.NewGuid().ToString("N").Substring(0, 12));
            Directory.CreateDirectory(dir);
            var hub = new Hub(dir);
            hub.Serve(0, 0, 0);
            return hub;
        }

        /// <summary>Starts the same state on other ports the hub picks (the modules' configured gateway stays unreachable).</summary>
        internal Hub StartElsewhere()
        {
            var other = new Hub(Dir) { ownsDir = false };
            other.Serve(0, 0, 0);
            return other;
        }

        /// <summary>Starts the stopped hub again on the addresses of its first start and the same state.</summary>
        internal void StartAgain()
        {
            Serve(MqttPort, HttpsPort, AdminPort);
        }

        /// <summary>The key=value pairs of a ready line; keys this code does not know are kept too.</summary>
        internal static Dictionary<string, string> ParseReady(string line)
        {
            if (!line.StartsWith(Ready, StringComparison.Ordinal))
            {
                throw new ArgumentException("not a ready line: " + line);
            }
            var pairs = new Dictionary<string, string>();
            foreach (string word in line.Substring(Ready.Length).Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries))
            {
                int eq = word.IndexOf('=');
                if (eq > 0)
                {
                    pairs[word.Substring(0, eq)] = word.Substring(eq + 1);
                }
            }
            return pairs;
        }

        private static int PortOf(string address)
        {
            return int.Parse(address.Substring(address.LastIndexOf(':') + 1));
        }

        private void Serve(int mqtt, int https, int admin)
        {
            var ready = new ManualResetEventSlim(false);
            string readyLine = null;
            var info = new ProcessStartInfo(Binary,
                string.Format("serve --manifest {0} --state {1} --bind-address 127.0.0.1 --mqtt-port {2} --https-port {3} --admin-port {4} --log-level warn",
                    Quote(ManifestPath), Quote(StatePath), mqtt, https, admin))
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            var p = new Process { StartInfo = info };
            // The handlers keep reading both streams for the hub's lifetime: it never blocks on a full pipe.
            p.OutputDataReceived += (s, e) =>
            {
                if (e.Data != null && readyLine == null && e.Data.StartsWith(Ready, StringComparison.Ordinal))
                {
                    readyLine = e.Data;
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
            DateTime deadline = DateTime.UtcNow.AddSeconds(30);
            while (!ready.Wait(TimeSpan.FromMilliseconds(100)))
            {
                if (p.HasExited || DateTime.UtcNow > deadline)
                {
                    string why = p.HasExited ? "exited with " + p.ExitCode + " before it was ready" : "printed no ready line within 30 s";
                    Stop();
                    throw new InvalidOperationException("the hub " + why + ": " + Log);
                }
            }
            ReadyPairs = ParseReady(readyLine);
            MqttPort = PortOf(ReadyPairs["mqtt"]);
            HttpsPort = PortOf(ReadyPairs["https"]);
            AdminPort = PortOf(ReadyPairs["admin"]);
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

        /// <summary><c>inspect MODULE</c>: the hub's delivery counters for the module (contract 5).</summary>
        internal Inspection Inspect(string module)
        {
            return new Inspection(new TwinCollection(CliOk("inspect", module)));
        }

        /// <summary>Polls <see cref="Inspect"/> until <paramref name="condition"/> holds; fails the test after the timeout.</summary>
        internal Inspection WaitInspect(string module, int seconds, string what, Func<Inspection, bool> condition)
        {
            DateTime deadline = DateTime.UtcNow.AddSeconds(seconds);
            Inspection last = Inspect(module);
            while (!condition(last))
            {
                if (DateTime.UtcNow > deadline)
                {
                    NUnit.Framework.Assert.Fail(what + ": not reached within " + seconds + " s; last inspection: " + last);
                }
                Thread.Sleep(100);
                last = Inspect(module);
            }
            return last;
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

namespace EdgeModule.Tests
{
    /// <summary>One <c>edgemodule-hub inspect</c> answer (common.md contract 5, docs/hub.md).</summary>
    internal sealed class Inspection
    {
        private readonly TwinCollection json;

        internal Inspection(TwinCollection json)
        {
            this.json = json;
        }

        internal long Counter(string name)
        {
            object value;
            if (!json.TryGetValue(name, out value) || !(value is long))
            {
                NUnit.Framework.Assert.Fail("the inspection has no counter " + name + ": " + json.ToJson());
            }
            return (long)value;
        }

        internal long AcksTotal { get { return Counter("acks_in_order") + Counter("acks_out_of_order"); } }

        internal bool SubscribedTo(string filter)
        {
            object value;
            return json.TryGetValue("subscriptions", out value) && value is List<object> &&
                ((List<object>)value).Contains(filter);
        }

        internal string Subscriptions
        {
            get
            {
                object value;
                return json.TryGetValue("subscriptions", out value) ? Json.Serialize(value) : "[]";
            }
        }

        /// <summary>Every PUBACK matched the hub's oldest outstanding PUBLISH (and none was for nothing).</summary>
        internal void AssertAcksInOrder()
        {
            NUnit.Framework.Assert.AreEqual(0, Counter("acks_out_of_order"), "PUBACKs out of order: " + this);
            object unexpected;
            if (json.TryGetValue("acks_unexpected", out unexpected))
            {
                NUnit.Framework.Assert.AreEqual(0L, unexpected, "PUBACKs for nothing outstanding: " + this);
            }
        }

        public override string ToString()
        {
            return json.ToJson();
        }
    }
}

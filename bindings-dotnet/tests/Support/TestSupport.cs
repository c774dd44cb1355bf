using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using NUnit.Framework;

namespace EdgeModule.Tests
{
    /// <summary>Shuts edgemodule down once every test ran, so the test process can exit.</summary>
    [SetUpFixture]
    public class RuntimeLifetime
    {
        [SetUp]
        public void Begin()
        {
            Console.WriteLine("edgemodule native library " + EdgeModuleRuntime.NativeVersion);
        }

        [TearDown]
        public void End()
        {
            Assert.IsTrue(EdgeModuleRuntime.Shutdown(TimeSpan.FromSeconds(20)), "edgemodule threads did not stop");
        }
    }

    internal static class Wait
    {
        /// <summary>The task's result, failing the test if it takes longer than <paramref name="seconds"/>.</summary>
        internal static async Task<T> Within<T>(Task<T> task, int seconds, string what)
        {
            if (await Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(seconds))).ConfigureAwait(false) != task)
            {
                Assert.Fail("timed out after " + seconds + " s waiting for " + what);
            }
            return await task.ConfigureAwait(false);
        }

        internal static async Task Within(Task task, int seconds, string what)
        {
            if (await Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(seconds))).ConfigureAwait(false) != task)
            {
                Assert.Fail("timed out after " + seconds + " s waiting for " + what);
            }
            await task.ConfigureAwait(false);
        }

        /// <summary>Polls <paramref name="condition"/> every 50 ms until it holds (fails the test after the timeout).</summary>
        internal static async Task Until(Func<bool> condition, int seconds, string what)
        {
            DateTime deadline = DateTime.UtcNow.AddSeconds(seconds);
            while (!condition())
            {
                if (DateTime.UtcNow > deadline)
                {
                    Assert.Fail("timed out after " + seconds + " s waiting for " + what);
                }
                await Task.Delay(50).ConfigureAwait(false);
            }
        }

        /// <summary>Runs the test body with a hard bound, so a hang fails instead of blocking the run.</summary>
        internal static void Run(Func<Task> body, int seconds)
        {
            Task task = Task.Run(body);
            if (!task.Wait(TimeSpan.FromSeconds(seconds)))
            {
                Assert.Fail("the test did not finish within " + seconds + " s");
            }
            task.GetAwaiter().GetResult();
        }
    }

    /// <summary>Collects items from handlers and lets the test wait for them.</summary>
    internal sealed class Inbox<T>
    {
        private readonly BlockingCollection<T> items = new BlockingCollection<T>();
        private int count;

        internal int Count { get { return Volatile.Read(ref count); } }

        internal void Add(T item)
        {
            Interlocked.Increment(ref count);
            items.Add(item);
        }

        /// <summary>The next item, failing the test after <paramref name="seconds"/>.</summary>
        internal T Next(int seconds, string what)
        {
            T item;
            if (!items.TryTake(out item, TimeSpan.FromSeconds(seconds)))
            {
                Assert.Fail("timed out after " + seconds + " s waiting for " + what);
            }
            return item;
        }

        internal Task<T> NextAsync(int seconds, string what)
        {
            return Task.Run(() => Next(seconds, what));
        }

        internal bool TryNext(int milliseconds, out T item)
        {
            return items.TryTake(out item, milliseconds);
        }
    }

    /// <summary>Runs a compiled helper program under mono with a given environment.</summary>
    internal static class Child
    {
        /// <summary>Variables a module client reads; cleared before applying a module's own.</summary>
        internal static readonly string[] ModuleVariables =
        {
            "IOTEDGE_WORKLOADURI", "IOTEDGE_IOTHUBHOSTNAME", "IOTEDGE_GATEWAYHOSTNAME", "IOTEDGE_DEVICEID",
            "IOTEDGE_MODULEID", "IOTEDGE_MODULEGENERATIONID", "IOTEDGE_AUTHSCHEME", "IOTEDGE_APIVERSION",
            "EdgeHubConnectionString", "EdgeModuleCACertificateFile", "EDGEMODULE_MQTT_PORT", "EDGEMODULE_HTTPS_PORT",
        };

        internal static string Mono
        {
            get
            {
                string mono = Environment.GetEnvironmentVariable("MONO");
                return string.IsNullOrEmpty(mono) ? "mono" : mono;
            }
        }

        internal static string BesideTests(string file)
        {
            return Path.Combine(Path.GetDirectoryName(typeof(Hub).Assembly.Location), file);
        }

        internal static ProcessStartInfo StartInfo(string exe, string args, IDictionary<string, string> env)
        {
            var info = new ProcessStartInfo(Mono, "--debug " + Hub.Quote(exe) + " " + args)
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = Path.GetDirectoryName(exe),
            };
            foreach (string name in ModuleVariables)
            {
                info.EnvironmentVariables.Remove(name);
            }
            foreach (KeyValuePair<string, string> kv in env)
            {
                info.EnvironmentVariables[kv.Key] = kv.Value;
            }
            return info;
        }

        /// <summary>Runs to completion within <paramref name="seconds"/> (killed and failed otherwise).</summary>
        internal static int Run(string exe, string args, IDictionary<string, string> env, int seconds, out string output)
        {
            var stopwatch = Stopwatch.StartNew();
            using (Process p = Process.Start(StartInfo(exe, args, env)))
            {
                Task<string> err = p.StandardError.ReadToEndAsync();
                Task<string> stdout = p.StandardOutput.ReadToEndAsync();
                if (!p.WaitForExit(seconds * 1000))
                {
                    p.Kill();
                    p.WaitForExit(5000);
                    Assert.Fail(Path.GetFileName(exe) + " " + args + " did not exit within " + seconds + " s; output:\n" +
                        stdout.Result + err.Result);
                }
                p.WaitForExit();
                output = stdout.Result + err.Result;
                Console.WriteLine("[{0} {1}] exit {2} after {3:F1} s\n{4}", Path.GetFileName(exe), args, p.ExitCode,
                    stopwatch.Elapsed.TotalSeconds, output);
                return p.ExitCode;
            }
        }
    }

    internal static class Bytes
    {
        internal static byte[] Of(string text)
        {
            return Encoding.UTF8.GetBytes(text);
        }

        internal static string Text(byte[] bytes)
        {
            return Encoding.UTF8.GetString(bytes);
        }
    }
}

// .NET (Mono) module-client benchmark over the EdgeModule assembly. One measurement per run,
// one JSON line on stdout:
//
//   mono Bench.exe send   --size B --window W [--batch N] --warmup S --round S --rounds N
//   mono Bench.exe memory --idle S --messages N --size B --window W
//
// The identity is the IoT Edge environment of the process (bench/measure.py puts the sender
// module's there). `window` loops each await their own SendEventAsync: `window` in flight
// (with --batch N, each awaits SendEventBatchAsync of N messages: window × N in flight).
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using EdgeModule;

internal static class Bench
{
    private static readonly long BareRssKib = StatusKib("VmRSS:");
    private static long acked;
    private static long issued;
    private static volatile bool stop;

    private static long StatusKib(string field)
    {
        foreach (string line in File.ReadAllLines("/proc/self/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                return long.Parse(line.Substring(field.Length).Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }
        return -1;
    }

    private static double Arg(string[] args, string name, double dflt)
    {
        int i = Array.IndexOf(args, "--" + name);
        return i < 0 || i + 1 >= args.Length ? dflt : double.Parse(args[i + 1], CultureInfo.InvariantCulture);
    }

    private static async Task Sender(ModuleClient client, byte[] body, long limit, int batch)
    {
        while (!stop && (limit == 0 || Interlocked.Add(ref issued, batch) - batch < limit))
        {
            if (batch > 1)
            {
                var messages = new Message[batch];
                for (int i = 0; i < batch; i++)
                {
                    messages[i] = new Message(body);
                }
                await client.SendEventBatchAsync("upstream", messages).ConfigureAwait(false);
            }
            else
            {
                await client.SendEventAsync("upstream", new Message(body)).ConfigureAwait(false);
            }
            Interlocked.Add(ref acked, batch);
        }
    }

    private static Task StartSenders(ModuleClient client, int size, int window, long limit, int batch)
    {
        byte[] body = Enumerable.Repeat((byte)'x', size).ToArray();
        return Task.WhenAll(Enumerable.Range(0, window).Select(_ => Task.Run(() => Sender(client, body, limit, batch))));
    }

    private static int Batch(string[] args)
    {
        return Math.Max(1, (int)Arg(args, "batch", 1));
    }

    private static async Task<string> Send(ModuleClient client, string[] args)
    {
        int window = (int)Arg(args, "window", 100);
        Task senders = StartSenders(client, (int)Arg(args, "size", 256), window, 0, Batch(args));
        await Task.Delay(TimeSpan.FromSeconds(Arg(args, "warmup", 1))).ConfigureAwait(false);
        var rates = new List<string>();
        long first = Interlocked.Read(ref acked);
        TimeSpan cpu0 = Process.GetCurrentProcess().TotalProcessorTime; // every thread
        for (int r = 0; r < (int)Arg(args, "rounds", 5); r++)
        {
            long n0 = Interlocked.Read(ref acked);
            Stopwatch watch = Stopwatch.StartNew();
            await Task.Delay(TimeSpan.FromSeconds(Arg(args, "round", 1))).ConfigureAwait(false);
            double rate = (Interlocked.Read(ref acked) - n0) / watch.Elapsed.TotalSeconds;
            rates.Add(rate.ToString("F1", CultureInfo.InvariantCulture));
        }
        double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
        long measured = Interlocked.Read(ref acked) - first;
        stop = true;
        await senders.ConfigureAwait(false);
        return "{\"rounds\": [" + string.Join(", ", rates) + "], \"cpu_s\": "
            + cpu.ToString("F3", CultureInfo.InvariantCulture) + ", \"acked\": " + measured + "}";
    }

    private static async Task<string> Memory(ModuleClient client, string[] args)
    {
        long messages = (long)Arg(args, "messages", 100000);
        await Task.Delay(TimeSpan.FromSeconds(Arg(args, "idle", 2))).ConfigureAwait(false);
        long idle = StatusKib("VmRSS:");
        Stopwatch watch = Stopwatch.StartNew();
        await StartSenders(client, (int)Arg(args, "size", 256), (int)Arg(args, "window", 100), messages, 1).ConfigureAwait(false);
        string seconds = watch.Elapsed.TotalSeconds.ToString("F3", CultureInfo.InvariantCulture);
        return string.Format(CultureInfo.InvariantCulture,
            "{{\"bare_rss_kib\": {0}, \"idle_rss_kib\": {1}, \"after_rss_kib\": {2}, \"peak_rss_kib\": {3}, \"messages\": {4}, \"seconds\": {5}",
            BareRssKib, idle, StatusKib("VmRSS:"), StatusKib("VmHWM:"), Interlocked.Read(ref acked), seconds) + "}";
    }

    // One send at a time, 10 ms apart, until killed; the driver restarts the hub meanwhile.
    private static async Task Reconnect(ModuleClient client)
    {
        byte[] body = Enumerable.Repeat((byte)'x', 256).ToArray();
        Console.WriteLine("ready");
        while (true)
        {
            string what = "ack";
            try
            {
                await client.SendEventAsync("upstream", new Message(body)).ConfigureAwait(false);
            }
            catch (Exception)
            {
                what = "fail";
            }
            double ms = (DateTime.UtcNow - new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc)).TotalMilliseconds;
            Console.WriteLine(what + " " + ms.ToString("F1", CultureInfo.InvariantCulture));
            await Task.Delay(10).ConfigureAwait(false);
        }
    }

    private static async Task<string> Run(string[] args)
    {
        var options = new ClientOptions { MaxInflight = Math.Min((int)Arg(args, "window", 100) * Batch(args), 65535) };
        using (ModuleClient client = await ModuleClient.CreateFromEnvironmentAsync(options).ConfigureAwait(false))
        {
            await client.OpenAsync().ConfigureAwait(false);
            if (args[0] == "reconnect")
            {
                await Reconnect(client).ConfigureAwait(false);
            }
            string result = args[0] == "send" ? await Send(client, args).ConfigureAwait(false)
                : args[0] == "memory" ? await Memory(client, args).ConfigureAwait(false)
                : throw new ArgumentException("unknown mode " + args[0]);
            await client.CloseAsync().ConfigureAwait(false);
            return result;
        }
    }

    private static int Main(string[] args)
    {
        try
        {
            Console.WriteLine(Run(args).GetAwaiter().GetResult());
            EdgeModuleRuntime.Shutdown(TimeSpan.FromSeconds(5));
            return 0;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine("bench: " + e);
            return 1;
        }
    }
}

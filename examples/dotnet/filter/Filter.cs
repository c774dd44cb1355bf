// Sample filter module (the same as examples/rust/filter): reads input1, forwards readings
// whose JSON "temperature" exceeds the desired property TemperatureThreshold (default 25) to
// output1, reports the threshold in use, and answers the "reset" direct method with the
// number of messages forwarded since the last reset.
//
// Run it with the environment IoT Edge (or `edgemodule-hub env filter`) provides.
using System;
using System.Reflection;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using EdgeModule;

internal sealed class Filter
{
    private const double DefaultThreshold = 25.0;

    private readonly ModuleClient client;
    private readonly SemaphoreSlim reportLock = new SemaphoreSlim(1, 1);
    // Handlers wait until the twin was read, so the first readings use the right threshold.
    private readonly TaskCompletionSource<bool> ready =
        new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
    private double threshold = DefaultThreshold;
    private double? reported;
    private long forwarded;

    private Filter(ModuleClient client)
    {
        this.client = client;
    }

    private static int Main()
    {
        try
        {
            return Run().GetAwaiter().GetResult();
        }
        catch (EdgeModuleException e)
        {
            Console.Error.WriteLine("filter: " + e.CodeName + ": " + e.Message);
            return 1;
        }
    }

    private static async Task<int> Run()
    {
        var stop = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        StopOnSignals(() => stop.TrySetResult(true));

        // The core's warnings (lost connections, refused subscriptions) on stderr.
        var options = new ClientOptions
        {
            Logger = (level, message) => Console.Error.WriteLine("filter: {0}: {1}", level, message),
            LoggerLevel = LogLevel.Warning,
        };
        using (ModuleClient client = await ModuleClient.CreateFromEnvironmentAsync(options))
        {
            var filter = new Filter(client);
            // A message the handler failed on every attempt, a method nothing handles, ...
            client.BackgroundError += (sender, e) => Console.Error.WriteLine("filter: " + e);
            // Handlers first, then connect, so nothing waits for a consumer.
            await client.SetInputMessageHandlerAsync("input1", filter.OnMessage, null);
            await client.SetMethodHandlerAsync("reset", filter.OnReset, null);
            await client.SetDesiredPropertyUpdateCallbackAsync(filter.OnDesired, null);
            await client.OpenAsync();
            Twin twin = await client.GetTwinAsync();
            filter.threshold = ThresholdIn(twin.Properties.Desired) ?? DefaultThreshold;
            filter.reported = ThresholdIn(twin.Properties.Reported);
            filter.ready.TrySetResult(true);
            await filter.ReportThreshold();
            Console.WriteLine("filter: connected as {0}/{1}, threshold {2}", client.DeviceId, client.ModuleId,
                Number(filter.threshold));

            await stop.Task;
            Console.WriteLine("filter: stopping");
            await client.CloseAsync();
        }
        return 0;
    }

    /// <summary>
    /// Forwards a hot reading, then completes; if forwarding fails the core calls this again
    /// with the same message (up to ClientOptions.HandlerAttempts calls).
    /// </summary>
    private async Task<MessageResponse> OnMessage(Message message, object userContext)
    {
        await ready.Task;
        double? temperature = TemperatureIn(message.GetBytes());
        if (temperature == null)
        {
            Console.Error.WriteLine("filter: skipping a message without a numeric temperature");
            return MessageResponse.Completed;
        }
        double limit = Volatile.Read(ref threshold);
        if (temperature.Value <= limit)
        {
            return MessageResponse.Completed;
        }
        try
        {
            await client.SendEventAsync("output1", message.Clone());
        }
        catch (EdgeModuleException e)
        {
            Console.Error.WriteLine("filter: forwarding failed, will retry: " + e.Message);
            return MessageResponse.Abandoned;
        }
        long count = Interlocked.Increment(ref forwarded);
        Console.WriteLine("filter: forwarded {0} (> {1}), {2} since reset", Number(temperature.Value), Number(limit), count);
        return MessageResponse.Completed;
    }

    private async Task<MethodResponse> OnReset(MethodRequest request, object userContext)
    {
        await ready.Task;
        long count = Interlocked.Exchange(ref forwarded, 0);
        Console.WriteLine("filter: reset after {0} forwarded messages", count);
        string answer = "{\"reset\":true,\"forwarded\":" + count + "}";
        return new MethodResponse(Encoding.UTF8.GetBytes(answer), 200);
    }

    private async Task OnDesired(TwinCollection patch, object userContext)
    {
        await ready.Task;
        double? value = ThresholdIn(patch);
        if (value == null)
        {
            return;
        }
        Volatile.Write(ref threshold, value.Value);
        Console.WriteLine("filter: threshold now {0} (desired $version {1})", Number(value.Value), patch.Version);
        await ReportThreshold();
    }

    /// <summary>Reports the threshold when it differs from what the twin shows.</summary>
    private async Task ReportThreshold()
    {
        await reportLock.WaitAsync();
        try
        {
            double current = Volatile.Read(ref threshold);
            if (reported == current)
            {
                return;
            }
            var patch = new TwinCollection();
            patch["TemperatureThreshold"] = current;
            await client.UpdateReportedPropertiesAsync(patch);
            reported = current;
        }
        finally
        {
            reportLock.Release();
        }
    }

    /// <summary>TemperatureThreshold from a desired/reported section or patch (numbers only).</summary>
    private static double? ThresholdIn(TwinCollection section)
    {
        object value;
        if (!section.TryGetValue("TemperatureThreshold", out value) || !(value is long || value is double))
        {
            return null;
        }
        return Convert.ToDouble(value);
    }

    private static double? TemperatureIn(byte[] body)
    {
        try
        {
            object value;
            var reading = new TwinCollection(Encoding.UTF8.GetString(body));
            if (reading.TryGetValue("temperature", out value) && (value is long || value is double))
            {
                return Convert.ToDouble(value);
            }
        }
        catch (ArgumentException)
        {
            // Not a JSON object.
        }
        return null;
    }

    private static string Number(double value)
    {
        return value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Ctrl-C and SIGTERM. The .NET runtime turns SIGTERM into ProcessExit; Mono needs
    /// Mono.Posix's UnixSignal (looked up by reflection so the same source builds for both).
    /// </summary>
    private static void StopOnSignals(Action stop)
    {
        Console.CancelKeyPress += (sender, e) =>
        {
            e.Cancel = true;
            stop();
        };
        AppDomain.CurrentDomain.ProcessExit += (sender, e) => stop();
        Type unixSignal = Type.GetType(
            "Mono.Unix.UnixSignal, Mono.Posix, Version=4.0.0.0, Culture=neutral, PublicKeyToken=0738eb9f132ed756");
        Type signum = Type.GetType(
            "Mono.Unix.Native.Signum, Mono.Posix, Version=4.0.0.0, Culture=neutral, PublicKeyToken=0738eb9f132ed756");
        if (unixSignal == null || signum == null)
        {
            return;
        }
        Array signals = Array.CreateInstance(unixSignal, 2);
        signals.SetValue(Activator.CreateInstance(unixSignal, Enum.Parse(signum, "SIGTERM")), 0);
        signals.SetValue(Activator.CreateInstance(unixSignal, Enum.Parse(signum, "SIGINT")), 1);
        MethodInfo waitAny = unixSignal.GetMethod("WaitAny", new[] { signals.GetType(), typeof(int) });
        var watcher = new Thread(() =>
        {
            waitAny.Invoke(null, new object[] { signals, -1 });
            stop();
        });
        watcher.IsBackground = true;
        watcher.Start();
    }
}

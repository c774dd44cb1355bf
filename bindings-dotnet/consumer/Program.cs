// Consumer smoke test: built against the EdgeModule package installed from a local feed.
// Connects from the IoT Edge environment, sends a message to its own output (routed back
// to its input by the test manifest), waits for it, reports a property and reads it back.
using System;
using System.Text;
using System.Threading.Tasks;
using EdgeModule;

internal static class Program
{
    private static int Main()
    {
        try
        {
            return Run().GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            Console.Error.WriteLine("consumer: " + e);
            return 1;
        }
    }

    private static async Task<int> Run()
    {
        using (ModuleClient client = await ModuleClient.CreateFromEnvironmentAsync())
        {
            var received = new TaskCompletionSource<Message>(TaskCreationOptions.RunContinuationsAsynchronously);
            await client.SetInputMessageHandlerAsync("in", (message, context) =>
            {
                received.TrySetResult(message);
                return Task.FromResult(MessageResponse.Completed);
            }, null);
            await client.OpenAsync();
            var sent = new Message(Encoding.UTF8.GetBytes("{\"hello\":\"package\"}")) { MessageId = "consumer-1" };
            sent.Properties["via"] = "nuget";
            await client.SendEventAsync("out", sent);
            if (await Task.WhenAny(received.Task, Task.Delay(20000)) != received.Task)
            {
                Console.Error.WriteLine("consumer: the message did not come back");
                return 1;
            }
            Message back = received.Task.Result;
            var report = new TwinCollection();
            report["consumer"] = "ok";
            await client.UpdateReportedPropertiesAsync(report);
            Twin twin = await client.GetTwinAsync();
            bool ok = back.MessageId == "consumer-1" && back.Properties["via"] == "nuget" &&
                Encoding.UTF8.GetString(back.GetBytes()) == "{\"hello\":\"package\"}" &&
                (string)twin.Properties.Reported["consumer"] == "ok";
            Console.WriteLine("consumer: {0} via {1}/{2} (edgemodule {3}): {4}", back.MessageId, client.DeviceId,
                client.ModuleId, EdgeModuleRuntime.NativeVersion, ok ? "round trip OK" : "MISMATCH");
            return ok ? 0 : 1;
        }
    }
}

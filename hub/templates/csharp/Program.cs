// {{name}}: an IoT Edge module on edgemodule (C#). Forwards messages from input1 to output1
// while the desired property Enabled is true, reports Enabled, and answers the direct
// method "status". It connects with the environment IoT Edge gives a module
// (`edgemodule-hub env {{name}}` prints it). C# 7.2, so Mono's mcs compiles it too.
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
        catch (EdgeModuleException e)
        {
            Console.Error.WriteLine("{{name}}: " + e.CodeName + ": " + e.Message);
            return 1;
        }
    }

    private static async Task<int> Run()
    {
        var stop = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        AppDomain.CurrentDomain.ProcessExit += (sender, args) => stop.TrySetResult(true);
        Console.CancelKeyPress += (sender, args) => { args.Cancel = true; stop.TrySetResult(true); };

        var state = new ModuleState();
        using (ModuleClient client = await ModuleClient.CreateFromEnvironmentAsync())
        {
            await client.SetInputMessageHandlerAsync("input1", async (message, context) =>
            {
                if (!state.ShouldForward())
                {
                    return MessageResponse.Completed;
                }
                try
                {
                    await client.SendEventAsync("output1", message.Clone());
                    state.CountForwarded();
                    return MessageResponse.Completed;
                }
                catch (EdgeModuleException e)
                {
                    Console.Error.WriteLine("{{name}}: forwarding failed, will retry: " + e.Message);
                    return MessageResponse.Abandoned;
                }
            }, null);
            await client.SetMethodHandlerAsync("status", (request, context) =>
                Task.FromResult(new MethodResponse(Encoding.UTF8.GetBytes(state.StatusJson()), 200)), null);
            await client.SetDesiredPropertyUpdateCallbackAsync((patch, context) => Report(client, state.ApplyDesired(patch)), null);
            await client.OpenAsync();
            Twin twin = await client.GetTwinAsync();
            await Report(client, state.ApplyDesired(twin.Properties.Desired));
            Console.WriteLine("{{name}}: connected");

            await stop.Task;
            Console.WriteLine("{{name}}: stopping");
            await client.CloseAsync();
        }
        return 0;
    }

    private static async Task Report(ModuleClient client, bool? enabled)
    {
        if (enabled == null)
        {
            return;
        }
        var reported = new TwinCollection();
        reported["Enabled"] = enabled.Value;
        await client.UpdateReportedPropertiesAsync(reported);
        Console.WriteLine("{{name}}: Enabled is now " + enabled.Value);
    }
}

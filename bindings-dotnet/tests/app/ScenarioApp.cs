// A child process for the tests that need a fresh process: creating a client from the
// process environment (S01, S02) and exiting with work in flight (S13). It never calls
// EdgeModuleRuntime.Shutdown itself: the process-exit hook must make it exit.
using System;
using System.Collections.Generic;
using System.Text;
using System.Threading.Tasks;
using EdgeModule;

internal static class ScenarioApp
{
    private static int Main(string[] args)
    {
        string mode = args.Length > 0 ? args[0] : "";
        try
        {
            switch (mode)
            {
                case "env-connect": return EnvConnect().GetAwaiter().GetResult();
                case "exit-in-flight": return ExitInFlight().GetAwaiter().GetResult();
                default:
                    Console.Error.WriteLine("usage: ScenarioApp.exe env-connect|exit-in-flight");
                    return 2;
            }
        }
        catch (EdgeModuleException e)
        {
            Console.WriteLine("error " + e.CodeName + " " + e.GetType().Name + ": " + e.Message);
            return 3;
        }
    }

    /// <summary>Connects from the environment, reports the status handler's view, sends telemetry and an output.</summary>
    private static async Task<int> EnvConnect()
    {
        using (ModuleClient client = await ModuleClient.CreateFromEnvironmentAsync())
        {
            Console.WriteLine("before open: " + client.ConnectionStatusInfo);
            var connected = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            client.SetConnectionStatusChangesHandler((status, reason) => connected.TrySetResult(status + "/" + reason));
            await client.OpenAsync();
            Console.WriteLine("handler: " + await connected.Task);
            Console.WriteLine("connected as " + client.DeviceId + "/" + client.ModuleId + ": " + client.ConnectionStatusInfo);
            await client.SendEventAsync(new Message(Encoding.UTF8.GetBytes("hello")));
            await client.SendEventAsync("up", new Message(Encoding.UTF8.GetBytes("{\"from\":\"env\"}")));
            Console.WriteLine("sent");
        }
        return 0;
    }

    /// <summary>Leaves sends in flight and handlers registered, and returns from Main without disposing.</summary>
    private static async Task<int> ExitInFlight()
    {
        ModuleClient client = await ModuleClient.CreateFromEnvironmentAsync();
        await client.SetMessageHandlerAsync((m, c) => Task.FromResult(MessageResponse.Completed), null);
        client.SetConnectionStatusChangesHandler((s, r) => { });
        await client.OpenAsync();
        var sends = new List<Task>();
        for (int i = 0; i < 50; i++)
        {
            sends.Add(client.SendEventAsync("up", new Message(Encoding.UTF8.GetBytes("in flight " + i))));
        }
        Console.WriteLine("started " + sends.Count + " sends; exiting");
        return 0;
    }
}

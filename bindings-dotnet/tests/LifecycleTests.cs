// Native handles are not leaked; handlers may await their own client's operations;
// cancellation tokens stop waits.
using System;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using EdgeModule.Native;
using NUnit.Framework;

namespace EdgeModule.Tests
{
    [TestFixture]
    public class LifecycleTests
    {
        /// <summary>Threads of this process named like edgemodule's delivery threads.</summary>
        private static int DeliveryThreads()
        {
            int n = 0;
            foreach (string task in Directory.GetDirectories("/proc/self/task"))
            {
                try
                {
                    if (File.ReadAllText(Path.Combine(task, "comm")).Trim() == "edgemodule-cb")
                    {
                        n++;
                    }
                }
                catch (IOException)
                {
                    // The thread exited meanwhile.
                }
            }
            return n;
        }

        private static int OpenFiles()
        {
            return Directory.GetFileSystemEntries("/proc/self/fd").Length;
        }

        private static void Collect()
        {
            for (int i = 0; i < 3; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        }

        /// <summary>Creates a connected client with handlers and leaves it to the finalizer (no reference kept).</summary>
        private static void Abandon(Hub hub, string cs, ClientOptions options)
        {
            ModuleClient client = ModuleClient.CreateFromConnectionString(cs, options);
            client.SetMethodDefaultHandlerAsync((r, c) => Task.FromResult(new MethodResponse(200)), null).Wait();
            client.SetMessageHandlerAsync((m, c) => Task.FromResult(MessageResponse.Completed), null).Wait();
            client.SetConnectionStatusChangesHandler((s, r) => { });
            client.OpenAsync().Wait(TimeSpan.FromSeconds(30));
        }

        [Test]
        public void CreateDisposeAndFinalizeInALoopLeaksNoNativeHandles()
        {
            using (Hub hub = Hub.Start())
            {
                string cs;
                ClientOptions options = hub.Options("sender", out cs);
                // Warm up (the runtime's own threads and sockets are created once).
                using (ModuleClient warm = ModuleClient.CreateFromConnectionString(cs, options))
                {
                    warm.OpenAsync().Wait(TimeSpan.FromSeconds(30));
                }
                Collect();
                long liveBefore = HandleCounter.Live;
                int threadsBefore = DeliveryThreads();
                int filesBefore = OpenFiles();

                for (int round = 0; round < 10; round++)
                {
                    // Disposed explicitly, with handlers, subscriptions and a send.
                    using (ModuleClient client = ModuleClient.CreateFromConnectionString(cs, options))
                    {
                        client.SetInputMessageHandlerAsync("input1", (m, c) => Task.FromResult(MessageResponse.Completed), null).Wait();
                        client.SetDesiredPropertyUpdateCallbackAsync((p, c) => Task.FromResult(0), null).Wait();
                        client.OpenAsync().Wait(TimeSpan.FromSeconds(30));
                        client.SendEventAsync("up", new Message(Bytes.Of("round " + round))).Wait(TimeSpan.FromSeconds(30));
                        client.PublishAsync("alerts/x", new byte[0]).ContinueWith(t => t.Exception).Wait(TimeSpan.FromSeconds(30));
                    }
                    // Closed but never disposed, then dropped.
                    ModuleClient closedOnly = ModuleClient.CreateFromConnectionString(cs, options);
                    closedOnly.CloseAsync().Wait(TimeSpan.FromSeconds(30));
                    closedOnly = null;
                    // Never closed: the finalizer frees it.
                    Abandon(hub, cs, options);
                }
                Collect();

                Assert.That(() => HandleCounter.Live, Is.EqualTo(liveBefore).After(20000, 200),
                    "native handles still alive (created " + HandleCounter.Created + ", released " + HandleCounter.Released + ")");
                Assert.That(() => DeliveryThreads(), Is.EqualTo(threadsBefore).After(20000, 200), "delivery threads leaked");
                Assert.That(() => OpenFiles(), Is.LessThanOrEqualTo(filesBefore + 4).After(20000, 200), "file descriptors leaked");
                Assert.GreaterOrEqual(HandleCounter.Created, 30);
            }
        }

        [Test]
        public void HandlersMayAwaitTheirOwnClientsOperations()
        {
            Wait.Run(async () =>
            {
                using (Hub hub = Hub.Start())
                using (ModuleClient receiver = hub.Client("receiver"))
                using (ModuleClient sender = hub.Client("sender"))
                {
                    var reported = new Inbox<long>();
                    // The input handler awaits a twin update and a read of the same client.
                    await receiver.SetInputMessageHandlerAsync("input1", async (m, c) =>
                    {
                        var patch = new TwinCollection();
                        patch["last"] = Bytes.Text(m.GetBytes());
                        await receiver.UpdateReportedPropertiesAsync(patch);
                        Twin twin = await receiver.GetTwinAsync();
                        reported.Add(twin.Properties.Reported.Version);
                        return MessageResponse.Completed;
                    }, null);
                    // The status handler blocks on an operation of its own client.
                    var statusRead = new Inbox<Twin>();
                    receiver.SetConnectionStatusChangesHandler((s, r) =>
                    {
                        if (s == ConnectionStatus.Connected)
                        {
                            statusRead.Add(receiver.GetTwinAsync().Result);
                        }
                    });
                    await Wait.Within(receiver.OpenAsync(), 30, "open");
                    Assert.AreEqual("receiver", statusRead.Next(20, "the twin read inside the status handler").ModuleId);
                    for (int i = 0; i < 3; i++)
                    {
                        await MessageScenarios.Send(sender, "output1", "msg" + i);
                        Assert.Greater(reported.Next(20, "the handler's own update"), 0);
                    }
                    Assert.AreEqual("msg2", (await receiver.GetTwinAsync()).Properties.Reported["last"]);
                }
            }, 120);
        }

        [Test]
        public void AContinuationThatBlocksOnLaterSendsDoesNotStallThem()
        {
            Wait.Run(async () =>
            {
                using (Hub hub = Hub.Start())
                using (ModuleClient client = hub.Client("sender"))
                {
                    await Wait.Within(client.OpenAsync(), 30, "open");
                    string thread = null;
                    Task first = client.SendEventAsync("output1", new Message(new byte[16]));
                    // Runs inline on the thread that completes `first`, then blocks that thread
                    // until 200 sends it starts itself have completed: their completions must
                    // run elsewhere. (It depends on nothing the test body does afterwards, so it
                    // also holds if `first` completed before the continuation was attached.)
                    Task<bool> blocked = first.ContinueWith(_ =>
                    {
                        thread = File.ReadAllText("/proc/thread-self/comm").Trim();
                        Task[] later = Enumerable.Range(0, 200)
                            .Select(i => client.SendEventAsync("output1", new Message(new byte[16])))
                            .ToArray();
                        return Task.WaitAll(later, TimeSpan.FromSeconds(30));
                    }, TaskContinuationOptions.ExecuteSynchronously);
                    Assert.IsTrue(await Wait.Within(blocked, 40, "the blocking continuation"),
                        "the sends completed while a continuation blocked waiting for them");
                    Assert.AreNotEqual("edgemodule-cb", thread, "a continuation ran on the delivery thread");
                }
            }, 120);
        }

        [Test]
        public void CancellationTokensStopTheWait()
        {
            Wait.Run(async () =>
            {
                using (Hub hub = Hub.Start())
                using (ModuleClient receiver = hub.Client("receiver"))
                using (ModuleClient caller = hub.Client("caller"))
                {
                    var release = new TaskCompletionSource<bool>();
                    await receiver.SetMethodHandlerAsync("slow", async (r, c) =>
                    {
                        await release.Task;
                        return new MethodResponse(200);
                    }, null);
                    await receiver.OpenAsync();
                    using (var cts = new CancellationTokenSource())
                    {
                        Task<MethodResponse> call = caller.InvokeMethodAsync(caller.DeviceId, "receiver",
                            new MethodRequest("slow", (string)null, TimeSpan.FromSeconds(30), null), cts.Token);
                        await Task.Delay(300);
                        Assert.IsFalse(call.IsCompleted);
                        cts.Cancel();
                        try
                        {
                            await Wait.Within(call, 5, "the cancelled call");
                            Assert.Fail("a cancelled call completed");
                        }
                        catch (OperationCanceledException)
                        {
                        }
                        Assert.IsTrue(call.IsCanceled);
                    }
                    release.SetResult(true);
                    // A token cancelled up front: nothing starts.
                    Task send = caller.SendEventAsync("up", new Message(), new CancellationToken(true));
                    Assert.IsTrue(send.IsCanceled);
                    Assert.IsTrue(caller.GetTwinAsync(new CancellationToken(true)).IsCanceled);
                    Assert.IsTrue(caller.SetMessageHandlerAsync((m, c) => Task.FromResult(MessageResponse.Completed), null,
                        new CancellationToken(true)).IsCanceled);
                    // The client still works.
                    await Wait.Within(caller.SendEventAsync("up", new Message()), 30, "a send after a cancellation");
                }
            }, 120);
        }
    }
}

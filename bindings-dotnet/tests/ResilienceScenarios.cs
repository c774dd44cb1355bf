// S11, S12, S13: restarts, failing handlers (the core's retry policy and failure reply),
// closing with work in flight.
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using NUnit.Framework;

namespace EdgeModule.Tests
{
    [TestFixture]
    public class ResilienceScenarios
    {
        private const int Total = 60;

        [Test]
        public void S11_HubRestartReconnectsLosesNothingAndCatchesUpDesired()
        {
            Wait.Run(async () =>
            {
                using (Hub hub = Hub.Start())
                using (ModuleClient receiver = hub.Client("receiver"))
                using (ModuleClient sender = hub.Client("sender"))
                {
                    var seen = new ConcurrentDictionary<string, int>();
                    await receiver.SetInputMessageHandlerAsync("input1", (m, c) =>
                    {
                        seen.AddOrUpdate(m.MessageId, 1, (k, v) => v + 1);
                        return Task.FromResult(MessageResponse.Completed);
                    }, null);
                    var receiverStatus = new Inbox<ConnectionStatus>();
                    receiver.SetConnectionStatusChangesHandler((s, r) => receiverStatus.Add(s));
                    var patches = new Inbox<TwinCollection>();
                    await receiver.SetDesiredPropertyUpdateCallbackAsync((p, c) =>
                    {
                        patches.Add(p);
                        return Task.FromResult(0);
                    }, null);
                    await Wait.Within(receiver.OpenAsync(), 30, "receiver open");
                    var senderStatus = new Inbox<ConnectionStatusInfo>();
                    sender.SetConnectionStatusChangesHandler((s, r) => senderStatus.Add(new ConnectionStatusInfo(s, r)));
                    await Wait.Within(sender.OpenAsync(), 30, "sender open");

                    // 1. Restart while messages flow: every send completes OK, every message arrives.
                    var sends = new List<Task>();
                    var third = new TaskCompletionSource<bool>();
                    Task producer = Task.Run(async () =>
                    {
                        for (int i = 0; i < Total; i++)
                        {
                            var m = new Message(Bytes.Of("m" + i)) { MessageId = "m" + i.ToString("000") };
                            if (i < Total / 3)
                            {
                                await sender.SendEventAsync("output1", m);
                            }
                            else
                            {
                                third.TrySetResult(true);
                                sends.Add(sender.SendEventAsync("output1", m));
                                await Task.Delay(20);
                            }
                        }
                    });
                    await Wait.Within(third.Task, 30, "a third of the messages");
                    hub.Stop();
                    await Task.Delay(300);
                    hub.StartAgain();
                    await Wait.Within(producer, 60, "the producer");
                    await Wait.Within(Task.WhenAll(sends), 60, "every send acknowledged");
                    await Wait.Until(() => seen.Count == Total, 60, "every message at the receiver");
                    var states = new List<ConnectionStatus>();
                    ConnectionStatusInfo info;
                    DateTime deadline = DateTime.UtcNow.AddSeconds(20);
                    while (!(states.Contains(ConnectionStatus.Disconnected_Retrying) && states.Last() == ConnectionStatus.Connected))
                    {
                        Assert.Less(DateTime.UtcNow, deadline, "sender status went " + string.Join(",", states));
                        info = senderStatus.Next(20, "the sender's status changes");
                        states.Add(info.Status);
                    }
                    Assert.AreEqual(ConnectionStatus.Connected, sender.ConnectionStatusInfo.Status);

                    // 2. A desired change while the receiver is offline arrives as a catch-up patch.
                    ConnectionStatus s2;
                    while (receiverStatus.TryNext(0, out s2))
                    {
                    }
                    hub.Stop();
                    while (receiverStatus.Next(15, "receiver retrying") != ConnectionStatus.Disconnected_Retrying)
                    {
                    }
                    using (Hub elsewhere = hub.StartElsewhere())
                    {
                        elsewhere.Twin("receiver", "{\"threshold\":55}");
                        elsewhere.Stop();
                    }
                    hub.StartAgain();
                    while (receiverStatus.Next(30, "receiver reconnected") != ConnectionStatus.Connected)
                    {
                    }
                    TwinCollection patch = patches.Next(20, "the catch-up patch");
                    Assert.AreEqual(55L, patch["threshold"]);
                    Assert.AreEqual("C", ((TwinCollection)patch["nested"])["unit"], "the whole desired section");
                    Twin twin = await receiver.GetTwinAsync();
                    Assert.AreEqual(patch.Version, twin.Properties.Desired.Version);
                }
            }, 300);
        }

        [Test]
        public void S12_ThrowingHandlersFollowTheCorePolicyAndTheClientKeepsRunning()
        {
            Wait.Run(async () =>
            {
                using (Hub hub = Hub.Start())
                using (ModuleClient receiver = hub.Client("receiver"))
                using (ModuleClient sender = hub.Client("sender"))
                using (ModuleClient caller = hub.Client("caller"))
                {
                    var errors = new Inbox<BackgroundErrorEventArgs>();
                    receiver.BackgroundError += (s, e) => errors.Add(e);
                    int deliveries = 0;
                    var accepted = new Inbox<string>();
                    // Throws synchronously on the first delivery, faults its task on the third:
                    // each time the core calls it again after the redelivery delay.
                    await receiver.SetInputMessageHandlerAsync("input1", (m, c) =>
                    {
                        int n = Interlocked.Increment(ref deliveries);
                        if (n == 1)
                        {
                            throw new InvalidOperationException("boom");
                        }
                        if (n == 3)
                        {
                            return FaultAfterAwait();
                        }
                        accepted.Add(Bytes.Text(m.GetBytes()));
                        return Task.FromResult(MessageResponse.Completed);
                    }, null);
                    int failMethods = 1;
                    await receiver.SetMethodDefaultHandlerAsync((r, c) =>
                    {
                        if (Volatile.Read(ref failMethods) == 1)
                        {
                            throw new InvalidOperationException("method boom");
                        }
                        if (r.Name == "async-boom")
                        {
                            return FaultMethodAfterAwait();
                        }
                        return Task.FromResult(new MethodResponse(Bytes.Of("{\"ok\":true}"), 200));
                    }, null);
                    await Wait.Within(receiver.OpenAsync(), 30, "open");

                    await MessageScenarios.Send(sender, "output1", "first");
                    Assert.AreEqual("first", accepted.Next(15, "the message after the retry"));
                    Assert.AreEqual(2, Volatile.Read(ref deliveries), "failed once, called again, accepted");

                    MethodResponse answer = await caller.InvokeMethodAsync(caller.DeviceId, "receiver",
                        new MethodRequest("explode", "{}"));
                    Assert.AreEqual(500, answer.Status);
                    Assert.AreEqual(MethodScenarios.FailurePayload, answer.ResultAsJson);
                    BackgroundErrorEventArgs error = await errors.NextAsync(10, "the method's background error");
                    Assert.AreEqual(BackgroundErrorKind.HandlerFailed, error.Kind);
                    Assert.AreEqual("explode", error.Name);
                    StringAssert.Contains("method boom", error.Message);

                    // Still running: the next message (faulted once) and the next calls work.
                    Volatile.Write(ref failMethods, 0);
                    await MessageScenarios.Send(sender, "output1", "second");
                    Assert.AreEqual("second", accepted.Next(15, "the second message"));
                    Assert.AreEqual(4, Volatile.Read(ref deliveries));
                    answer = await caller.InvokeMethodAsync(caller.DeviceId, "receiver", new MethodRequest("async-boom"));
                    Assert.AreEqual(500, answer.Status);
                    Assert.AreEqual(MethodScenarios.FailurePayload, answer.ResultAsJson);
                    error = await errors.NextAsync(10, "the async method's background error");
                    StringAssert.Contains("async method boom", error.Message);
                    Assert.AreEqual(200, (await caller.InvokeMethodAsync(caller.DeviceId, "receiver",
                        new MethodRequest("fine", "{}"))).Status);
                    Assert.AreEqual(ConnectionStatus.Connected, receiver.ConnectionStatusInfo.Status);
                    // The input failures were retried successfully: nothing reported for them.
                    BackgroundErrorEventArgs extra;
                    Assert.IsFalse(errors.TryNext(300, out extra), "unexpected " + extra);
                }
            }, 120);
        }

        private static async Task<MessageResponse> FaultAfterAwait()
        {
            await Task.Delay(10);
            throw new InvalidOperationException("async boom");
        }

        private static async Task<MethodResponse> FaultMethodAfterAwait()
        {
            await Task.Delay(10);
            throw new InvalidOperationException("async method boom");
        }

        [Test]
        public void S13_CloseWithWorkInFlight()
        {
            Wait.Run(async () =>
            {
                using (Hub hub = Hub.Start())
                {
                    // 1. Sends in flight when the sender is closed: each completes OK or fails CLOSED.
                    ModuleClient receiver = hub.Client("receiver");
                    int inputs = 0;
                    int lateCalls = 0;
                    int closed = 0;
                    await receiver.SetInputMessageHandlerAsync("input1", async (m, c) =>
                    {
                        if (Volatile.Read(ref closed) != 0)
                        {
                            Interlocked.Increment(ref lateCalls);
                        }
                        Interlocked.Increment(ref inputs);
                        await Task.Delay(50);
                        return MessageResponse.Completed;
                    }, null);
                    await Wait.Within(receiver.OpenAsync(), 30, "receiver open");
                    ModuleClient sender = hub.Client("sender");
                    await Wait.Within(sender.OpenAsync(), 30, "sender open");
                    for (int i = 0; i < 10; i++)
                    {
                        await sender.SendEventAsync("output1", new Message(Bytes.Of("payload")));
                    }
                    var sends = new List<Task>();
                    for (int i = 0; i < 40; i++)
                    {
                        sends.Add(sender.SendEventAsync("output1", new Message(Bytes.Of("payload"))));
                    }
                    await Wait.Within(sender.CloseAsync(), 30, "sender close");
                    int ok = 0, failedClosed = 0;
                    foreach (Task t in sends)
                    {
                        Assert.IsTrue(t.IsCompleted, "a send was still pending after close");
                        if (t.Status == TaskStatus.RanToCompletion)
                        {
                            ok++;
                        }
                        else
                        {
                            Assert.IsInstanceOf<ClientClosedException>(t.Exception.GetBaseException());
                            failedClosed++;
                        }
                    }
                    Console.WriteLine("S13: {0} sends acknowledged, {1} closed", ok, failedClosed);
                    await MessageScenarios.Throws<ClientClosedException>(sender.SendEventAsync("output1", new Message()));
                    await MessageScenarios.Throws<ClientClosedException>(sender.OpenAsync());
                    await Wait.Within(sender.CloseAsync(), 10, "a second close");
                    sender.Dispose();
                    sender.Dispose();
                    Assert.Throws<ObjectDisposedException>(() => sender.SendEventAsync("output1", new Message()).GetAwaiter().GetResult());

                    // 2. The receiver is disposed while messages queue for its slow handler: no call afterwards.
                    await Wait.Until(() => Volatile.Read(ref inputs) >= 2, 20, "the receiver's first inputs");
                    receiver.Dispose();
                    Volatile.Write(ref closed, 1);
                    int afterDispose = Volatile.Read(ref inputs);
                    await Task.Delay(500);
                    Assert.AreEqual(0, Volatile.Read(ref lateCalls), "a handler ran after Dispose returned");
                    Assert.AreEqual(afterDispose, Volatile.Read(ref inputs));

                    // 3. A client disposed from inside its own handler.
                    ModuleClient self = hub.Client("caller");
                    var disposedInHandler = new TaskCompletionSource<bool>();
                    self.SetConnectionStatusChangesHandler((s, r) =>
                    {
                        if (s == ConnectionStatus.Connected)
                        {
                            self.Dispose();
                            disposedInHandler.TrySetResult(true);
                        }
                    });
                    Task open = self.OpenAsync();
                    await Wait.Within(disposedInHandler.Task, 20, "dispose inside the handler");
                    await Wait.Within(Task.WhenAny(open), 20, "the open to finish");

                    // 4. A client closed by an input handler that awaits the close (a module without
                    // the receiver's backlog).
                    using (ModuleClient filter = hub.Client("filter"))
                    using (ModuleClient feeder = hub.Client("sender"))
                    {
                        var closedInHandler = new TaskCompletionSource<bool>();
                        await filter.SetInputMessageHandlerAsync("input1", async (m, c) =>
                        {
                            await filter.CloseAsync();
                            closedInHandler.TrySetResult(true);
                            return MessageResponse.Completed;
                        }, null);
                        await Wait.Within(filter.OpenAsync(), 30, "open");
                        await MessageScenarios.Send(feeder, "readings", "close-me");
                        await Wait.Within(closedInHandler.Task, 30, "close awaited inside a handler");
                    }
                }
            }, 180);
        }

        [Test]
        public void S13_ProcessExitsWithWorkInFlight()
        {
            using (Hub hub = Hub.Start())
            {
                string output;
                int rc = Child.Run(Child.BesideTests("ScenarioApp.exe"), "exit-in-flight", hub.Env("sender", "workload"), 60,
                    out output);
                Assert.AreEqual(0, rc, output);
                StringAssert.Contains("started 50 sends; exiting", output);
            }
        }
    }
}

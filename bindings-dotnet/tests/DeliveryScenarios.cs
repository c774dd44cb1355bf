// S14, S15, S16, S18, S19: how the core delivers to .NET handlers and acknowledges (module
// `ordered` of the shared deployment: inputs first, second, unhandled, fed by `sender`).
// Order is checked where the hub sees it: `edgemodule-hub inspect` (acks_out_of_order == 0),
// with method calls interleaved so that an out-of-order PUBACK would be observable.
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using NUnit.Framework;

namespace EdgeModule.Tests
{
    [TestFixture]
    public class DeliveryScenarios
    {
        /// <summary>Sends <paramref name="count"/> messages to <paramref name="output"/>, one after another, ids prefix000….</summary>
        internal static async Task SendNumbered(ModuleClient sender, string output, string prefix, int count)
        {
            for (int i = 0; i < count; i++)
            {
                string id = prefix + i.ToString("000");
                await Wait.Within(sender.SendEventAsync(output, new Message(Bytes.Of(id)) { MessageId = id }), 30, "send " + id);
            }
        }

        /// <summary>Calls <paramref name="method"/> on <paramref name="module"/> <paramref name="count"/> times; the statuses.</summary>
        internal static async Task<List<int>> CallRepeatedly(ModuleClient caller, string module, string method, int count)
        {
            var statuses = new List<int>();
            for (int i = 0; i < count; i++)
            {
                MethodResponse answer = await Wait.Within(caller.InvokeMethodAsync(caller.DeviceId, module,
                    new MethodRequest(method, (string)null, TimeSpan.FromSeconds(10), null)), 20, "call " + method);
                statuses.Add(answer.Status);
                await Task.Delay(5);
            }
            return statuses;
        }

        internal static List<string> Numbered(string prefix, int count)
        {
            return Enumerable.Range(0, count).Select(i => prefix + i.ToString("000")).ToList();
        }

        /// <summary>A handler that records message ids, takes <paramref name="pause"/> each and notes any overlap.</summary>
        private static MessageHandler Recorder(TimeSpan pause, ConcurrentQueue<string> seen, Action overlapped)
        {
            int running = 0;
            return async (m, c) =>
            {
                if (Interlocked.Increment(ref running) != 1)
                {
                    overlapped();
                }
                await Task.Delay(pause);
                Interlocked.Decrement(ref running);
                seen.Enqueue(m.MessageId);
                return MessageResponse.Completed;
            };
        }

        private static MethodCallback Ping
        {
            get { return (r, c) => Task.FromResult(new MethodResponse(200)); }
        }

        [Test]
        public void S14_PerInputHandlersAcknowledgeInArrivalOrder()
        {
            const int perInput = 30;
            Wait.Run(async () =>
            {
                using (Hub hub = Hub.Start())
                using (ModuleClient ordered = hub.Client("ordered"))
                using (ModuleClient sender = hub.Client("sender"))
                using (ModuleClient caller = hub.Client("caller"))
                {
                    var first = new ConcurrentQueue<string>();
                    var second = new ConcurrentQueue<string>();
                    int overlaps = 0;
                    await ordered.SetInputMessageHandlerAsync("first",
                        Recorder(TimeSpan.FromMilliseconds(15), first, () => Interlocked.Increment(ref overlaps)), null);
                    await ordered.SetInputMessageHandlerAsync("second",
                        Recorder(TimeSpan.FromMilliseconds(1), second, () => Interlocked.Increment(ref overlaps)), null);
                    await ordered.SetMethodHandlerAsync("ping", Ping, null);
                    await Wait.Within(ordered.OpenAsync(), 30, "open");

                    Task one = SendNumbered(sender, "first", "a", perInput);
                    Task two = SendNumbered(sender, "second", "b", perInput);
                    List<int> statuses = await CallRepeatedly(caller, "ordered", "ping", 20);
                    CollectionAssert.AreEqual(Enumerable.Repeat(200, 20), statuses);
                    await Wait.Within(Task.WhenAll(one, two), 60, "the sends");
                    await Wait.Until(() => first.Count + second.Count >= 2 * perInput, 60, "every message handled");

                    CollectionAssert.AreEqual(Numbered("a", perInput), first.ToList(), "input first in send order, each once");
                    CollectionAssert.AreEqual(Numbered("b", perInput), second.ToList(), "input second in send order, each once");
                    Assert.AreEqual(0, Volatile.Read(ref overlaps), "a handler ran twice at once");
                    Inspection seen = hub.WaitInspect("ordered", 15, "every PUBACK", i => i.AcksTotal >= 2 * perInput + 20);
                    seen.AssertAcksInOrder();
                    Assert.AreEqual(0, seen.Counter("redelivered"), seen.ToString());
                }
            }, 240);
        }

        [Test]
        public void S15_FailingHandlerIsRetriedThenAcknowledgedAndReported()
        {
            TimeSpan baseDelay = TimeSpan.FromMilliseconds(80);
            Wait.Run(async () =>
            {
                using (Hub hub = Hub.Start())
                using (ModuleClient ordered = hub.Client("ordered", o => o.RedeliveryDelay = baseDelay))
                using (ModuleClient sender = hub.Client("sender"))
                using (ModuleClient caller = hub.Client("caller"))
                {
                    var errors = new Inbox<BackgroundErrorEventArgs>();
                    ordered.BackgroundError += (s, e) => errors.Add(e);
                    var calls = new Dictionary<string, List<TimeSpan>>();
                    Stopwatch clock = Stopwatch.StartNew();
                    var done = new Inbox<string>();
                    await ordered.SetInputMessageHandlerAsync("first", (m, c) =>
                    {
                        string id = m.MessageId;
                        int attempt;
                        lock (calls)
                        {
                            if (!calls.ContainsKey(id))
                            {
                                calls[id] = new List<TimeSpan>();
                            }
                            calls[id].Add(clock.Elapsed);
                            attempt = calls[id].Count;
                        }
                        if (id == "poison")
                        {
                            // Fails on every attempt, each way a handler can fail.
                            switch (attempt)
                            {
                                case 2: return Faulted("cannot process, attempt 2");
                                case 3: return Task.FromResult(MessageResponse.Abandoned);
                                default: throw new InvalidOperationException("cannot process, attempt " + attempt);
                            }
                        }
                        if (id == "flaky" && attempt < 3)
                        {
                            return Task.FromResult(MessageResponse.Abandoned);
                        }
                        done.Add(id);
                        return Task.FromResult(MessageResponse.Completed);
                    }, null);
                    await ordered.SetMethodHandlerAsync("ping", Ping, null);
                    await Wait.Within(ordered.OpenAsync(), 30, "open");

                    foreach (string id in new[] { "poison", "flaky" })
                    {
                        await MessageScenarios.Send(sender, "first", id);
                    }
                    await SendNumbered(sender, "first", "after", 3);
                    // Calls during the retries are answered; their PUBACKs wait their turn.
                    CollectionAssert.AreEqual(new[] { 200, 200, 200, 200 }, await CallRepeatedly(caller, "ordered", "ping", 4));

                    var processed = new List<string>();
                    while (processed.Count < 4)
                    {
                        processed.Add(await done.NextAsync(20, "processed"));
                    }
                    CollectionAssert.AreEqual(new[] { "flaky", "after000", "after001", "after002" }, processed);

                    BackgroundErrorEventArgs error = await errors.NextAsync(10, "the background error");
                    Assert.AreEqual(BackgroundErrorKind.HandlerFailed, error.Kind, error.ToString());
                    Assert.AreEqual(HandlerFamily.Input, error.Family);
                    Assert.AreEqual("first", error.Name);
                    StringAssert.Contains("attempt 4", error.Message);

                    List<TimeSpan> poison;
                    lock (calls)
                    {
                        poison = calls["poison"].ToList();
                        Assert.AreEqual(4, poison.Count, "bounded retries (handler_attempts 4)");
                        Assert.AreEqual(3, calls["flaky"].Count);
                        Assert.GreaterOrEqual(calls["flaky"][0], poison[3], "later messages wait for the failing one");
                    }
                    for (int i = 1; i < poison.Count; i++)
                    {
                        TimeSpan waited = poison[i] - poison[i - 1];
                        TimeSpan least = TimeSpan.FromTicks(baseDelay.Ticks << (i - 1)) - TimeSpan.FromMilliseconds(5);
                        Assert.GreaterOrEqual(waited, least, "retry " + i + " waited " + waited.TotalMilliseconds + " ms");
                    }

                    Inspection seen = hub.WaitInspect("ordered", 15, "every PUBACK", v => v.AcksTotal >= 5 + 4);
                    seen.AssertAcksInOrder();
                    Assert.AreEqual(0, seen.Counter("redelivered"), "the hub had no reason to send again: " + seen);
                    // The client keeps running.
                    await SendNumbered(sender, "first", "last", 1);
                    Assert.AreEqual("last000", await done.NextAsync(10, "the last message"));
                }
            }, 180);
        }

        private static async Task<MessageResponse> Faulted(string message)
        {
            await Task.Delay(5);
            throw new InvalidOperationException(message);
        }

        [Test]
        public void S15_HandlerAttemptsIsTheOptionOfTheSameName()
        {
            Wait.Run(async () =>
            {
                using (Hub hub = Hub.Start())
                using (ModuleClient ordered = hub.Client("ordered", o =>
                {
                    o.RedeliveryDelay = TimeSpan.FromMilliseconds(10);
                    o.HandlerAttempts = 2;
                }))
                using (ModuleClient sender = hub.Client("sender"))
                {
                    var errors = new Inbox<BackgroundErrorEventArgs>();
                    ordered.BackgroundError += (s, e) => errors.Add(e);
                    int calls = 0;
                    await ordered.SetInputMessageHandlerAsync("first", (m, c) =>
                    {
                        Interlocked.Increment(ref calls);
                        throw new InvalidOperationException("always");
                    }, null);
                    await Wait.Within(ordered.OpenAsync(), 30, "open");
                    await MessageScenarios.Send(sender, "first", "twice");
                    BackgroundErrorEventArgs error = await errors.NextAsync(10, "the background error");
                    Assert.AreEqual(BackgroundErrorKind.HandlerFailed, error.Kind);
                    StringAssert.Contains("always", error.Message);
                    await Task.Delay(300);
                    Assert.AreEqual(2, Volatile.Read(ref calls), "handler_attempts = 2");
                }
            }, 120);
        }

        [Test]
        public void S16_SlowHandlerDelaysLaterMessagesAndLosesNothing()
        {
            const int count = 6;
            Wait.Run(async () =>
            {
                using (Hub hub = Hub.Start())
                using (ModuleClient ordered = hub.Client("ordered"))
                using (ModuleClient sender = hub.Client("sender"))
                using (ModuleClient caller = hub.Client("caller"))
                {
                    var order = new ConcurrentQueue<string>();
                    int overlaps = 0;
                    await ordered.SetInputMessageHandlerAsync("first",
                        Recorder(TimeSpan.FromMilliseconds(250), order, () => Interlocked.Increment(ref overlaps)), null);
                    await ordered.SetInputMessageHandlerAsync("second", (m, c) =>
                    {
                        order.Enqueue(m.MessageId);
                        return Task.FromResult(MessageResponse.Completed);
                    }, null);
                    await ordered.SetMethodHandlerAsync("ping", Ping, null);
                    var patches = new Inbox<long>();
                    await ordered.SetDesiredPropertyUpdateCallbackAsync((p, c) =>
                    {
                        patches.Add(p.Version);
                        return Task.FromResult(0);
                    }, null);
                    await Wait.Within(ordered.OpenAsync(), 30, "open");

                    // Sent far faster than they are handled.
                    await SendNumbered(sender, "first", "slow", count);
                    await SendNumbered(sender, "second", "fast", 1);
                    // Answered while the slow handler works; acknowledged after the messages before them.
                    CollectionAssert.AreEqual(new[] { 200, 200, 200 }, await CallRepeatedly(caller, "ordered", "ping", 3));
                    TwinCollection twin = hub.Twin("ordered", "{\"threshold\":1}");
                    long version = ((TwinCollection)twin["desired"]).Version;
                    Assert.AreEqual(version, await patches.NextAsync(15, "the desired patch"));

                    await Wait.Until(() => order.Count >= count + 1, 30, "every message handled");
                    List<string> all = order.ToList();
                    CollectionAssert.AreEqual(Numbered("slow", count), all.Where(id => id.StartsWith("slow")).ToList(),
                        "in order, each once");
                    CollectionAssert.Contains(all, "fast000");
                    Assert.AreEqual(0, Volatile.Read(ref overlaps), "the slow handler ran twice at once");
                    Inspection seen = hub.WaitInspect("ordered", 15, "every PUBACK", v => v.AcksTotal >= count + 1 + 3 + 1);
                    seen.AssertAcksInOrder();
                    Assert.AreEqual(0, seen.Counter("redelivered"), seen.ToString());
                }
            }, 180);
        }

        [Test]
        public void S18_MessageForAnUnhandledInputIsAcknowledgedDroppedAndReported()
        {
            Wait.Run(async () =>
            {
                using (Hub hub = Hub.Start())
                using (ModuleClient ordered = hub.Client("ordered"))
                using (ModuleClient sender = hub.Client("sender"))
                using (ModuleClient caller = hub.Client("caller"))
                {
                    var errors = new Inbox<BackgroundErrorEventArgs>();
                    ordered.BackgroundError += (s, e) => errors.Add(e);
                    var handled = new Inbox<string>();
                    await ordered.SetInputMessageHandlerAsync("first", async (m, c) =>
                    {
                        await Task.Delay(20);
                        handled.Add(m.MessageId);
                        return MessageResponse.Completed;
                    }, null);
                    await ordered.SetMethodHandlerAsync("ping", Ping, null);
                    await Wait.Within(ordered.OpenAsync(), 30, "open");

                    await SendNumbered(sender, "first", "before", 2);
                    await SendNumbered(sender, "unhandled", "nobody", 1);
                    await SendNumbered(sender, "first", "after", 3);
                    CollectionAssert.AreEqual(new[] { 200, 200, 200 }, await CallRepeatedly(caller, "ordered", "ping", 3));

                    BackgroundErrorEventArgs error = await errors.NextAsync(15, "the background error");
                    Assert.AreEqual(BackgroundErrorKind.NoHandler, error.Kind, error.ToString());
                    Assert.AreEqual(HandlerFamily.Input, error.Family);
                    Assert.AreEqual("unhandled", error.Name);
                    var got = new List<string>();
                    while (got.Count < 5)
                    {
                        got.Add(await handled.NextAsync(15, "handled"));
                    }
                    CollectionAssert.AreEqual(new[] { "before000", "before001", "after000", "after001", "after002" }, got);
                    Inspection seen = hub.WaitInspect("ordered", 15, "every PUBACK", v => v.AcksTotal >= 6 + 3);
                    seen.AssertAcksInOrder();
                    Assert.AreEqual(0, seen.Counter("redelivered"), "the unhandled message was acknowledged: " + seen);
                }
            }, 120);
        }

        [Test]
        public void S19_UnacknowledgedPublishesAreResentWithDupAfterAReconnect()
        {
            const int count = 5;
            Wait.Run(async () =>
            {
                using (Hub hub = Hub.Start())
                using (var proxy = new Proxy(hub.MqttPort))
                using (ModuleClient receiver = hub.Client("receiver"))
                using (ModuleClient sender = hub.Client("sender", o => o.MqttPort = proxy.Port))
                {
                    var seen = new Inbox<string>();
                    await receiver.SetInputMessageHandlerAsync("input1", (m, c) =>
                    {
                        seen.Add(m.MessageId);
                        return Task.FromResult(MessageResponse.Completed);
                    }, null);
                    await Wait.Within(receiver.OpenAsync(), 30, "receiver open");
                    // Something subscribed, so the hub keeps a session to resume.
                    await sender.SetMethodHandlerAsync("noop", Ping, null);
                    await Wait.Within(sender.OpenAsync(), 30, "sender open");
                    Inspection before = hub.Inspect("sender");

                    // The hub gets the publishes; the client never sees the PUBACKs.
                    proxy.HoldDownstream(true);
                    var sends = new List<Task>();
                    for (int i = 0; i < count; i++)
                    {
                        sends.Add(sender.SendEventAsync("output1", new Message(Bytes.Of("m" + i)) { MessageId = "m" + i }));
                    }
                    long received = before.Counter("publishes_received");
                    hub.WaitInspect("sender", 15, "the publishes reached the hub",
                        v => v.Counter("publishes_received") >= received + count);
                    proxy.Cut();
                    proxy.HoldDownstream(false);
                    await Wait.Within(Task.WhenAll(sends), 30, "every send acknowledged after the re-send");

                    Inspection after = hub.WaitInspect("sender", 15, "DUP re-sends",
                        v => v.Counter("dup_publishes_received") >= before.Counter("dup_publishes_received") + count);
                    Assert.Greater(after.Counter("connections"), before.Counter("connections"));
                    var expected = new HashSet<string>(Enumerable.Range(0, count).Select(i => "m" + i));
                    var ids = new HashSet<string>();
                    while (ids.Count < count)
                    {
                        string id = await seen.NextAsync(15, "delivered");
                        Assert.IsTrue(expected.Contains(id), "unexpected " + id);
                        ids.Add(id);
                    }
                    // Duplicates are allowed (at-least-once); nothing else arrives.
                    string extra;
                    while (seen.TryNext(300, out extra))
                    {
                        Assert.IsTrue(expected.Contains(extra), "unexpected " + extra);
                    }
                }
            }, 150);
        }
    }
}

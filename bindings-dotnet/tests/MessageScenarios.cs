// S03, S04, S09, S24: messages between modules and user topics.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using NUnit.Framework;

namespace EdgeModule.Tests
{
    [TestFixture]
    public class MessageScenarios
    {
        private static readonly byte[] Body = { (byte)'{', (byte)'"', (byte)'t', (byte)'"', (byte)':', (byte)'1', (byte)'}', 0x00, 0xff, 0x7f };

        [Test]
        public void S03_OutputRoutedToInputWithBodyAndPropertiesIntact()
        {
            Wait.Run(async () =>
            {
                using (Hub hub = Hub.Start())
                using (ModuleClient receiver = hub.Client("receiver"))
                using (ModuleClient sender = hub.Client("sender"))
                {
                    var inbox = new Inbox<Message>();
                    object context = new object();
                    object seenContext = null;
                    await receiver.SetInputMessageHandlerAsync("input1", (m, c) =>
                    {
                        seenContext = c;
                        inbox.Add(m);
                        return Task.FromResult(MessageResponse.Completed);
                    }, context);
                    await Wait.Within(receiver.OpenAsync(), 30, "receiver open");

                    var message = new Message(Body)
                    {
                        MessageId = "mid-1",
                        CorrelationId = "cid/1 x",
                        ContentType = "application/octet-stream",
                        ContentEncoding = "binary",
                        CreationTimeUtc = new DateTime(2026, 11, 26, 10, 0, 0, DateTimeKind.Utc),
                        ExpiryTimeUtc = new DateTime(2099, 1, 1, 0, 0, 0, DateTimeKind.Utc),
                        MessageSchema = "reading/v1",
                        ComponentName = "thermostat",
                    };
                    message.Properties["unit"] = "°C";
                    message.Properties["key with space"] = "a=b&c/d%e";
                    message.Properties["empty"] = "";
                    await Wait.Within(sender.SendEventAsync("output1", message), 30, "send");

                    Message got = await inbox.NextAsync(15, "the routed message");
                    Assert.AreSame(context, seenContext);
                    CollectionAssert.AreEqual(Body, got.GetBytes());
                    Assert.AreEqual("mid-1", got.MessageId);
                    Assert.AreEqual("cid/1 x", got.CorrelationId);
                    Assert.AreEqual("application/octet-stream", got.ContentType);
                    Assert.AreEqual("binary", got.ContentEncoding);
                    Assert.AreEqual(message.CreationTimeUtc, got.CreationTimeUtc);
                    Assert.AreEqual(DateTimeKind.Utc, got.CreationTimeUtc.Kind);
                    Assert.AreEqual(message.ExpiryTimeUtc, got.ExpiryTimeUtc);
                    Assert.AreEqual("reading/v1", got.MessageSchema);
                    Assert.AreEqual("thermostat", got.ComponentName);
                    Assert.AreEqual("input1", got.InputName);
                    Assert.AreEqual("sender", got.ConnectionModuleId);
                    Assert.AreEqual(sender.DeviceId, got.ConnectionDeviceId);
                    Assert.AreEqual(3, got.Properties.Count);
                    Assert.AreEqual("°C", got.Properties["unit"]);
                    Assert.AreEqual("a=b&c/d%e", got.Properties["key with space"]);
                    Assert.AreEqual("", got.Properties["empty"]);

                    // The same Message object can be sent again, and telemetry (no output) works.
                    message.MessageId = "mid-2";
                    await Wait.Within(sender.SendEventAsync("output1", message), 30, "second send");
                    Assert.AreEqual("mid-2", (await inbox.NextAsync(15, "the second message")).MessageId);
                    await Wait.Within(sender.SendEventAsync(new Message(Bytes.Of("telemetry"))), 30, "telemetry");
                }
            }, 120);
        }

        [Test]
        public void S04_PerInputAndDefaultHandlers()
        {
            Wait.Run(async () =>
            {
                using (Hub hub = Hub.Start())
                using (ModuleClient receiver = hub.Client("receiver"))
                using (ModuleClient sender = hub.Client("sender"))
                {
                    var named = new Inbox<Message>();
                    var fallback = new Inbox<Message>();
                    var replacement = new Inbox<Message>();
                    await receiver.SetInputMessageHandlerAsync("input1", Collect(named), null);
                    await receiver.SetMessageHandlerAsync(Collect(fallback), null);
                    await Wait.Within(receiver.OpenAsync(), 30, "open");

                    await Send(sender, "output1", "a1");
                    Expect(named.Next(15, "a1"), "input1", "a1");
                    await Send(sender, "output2", "b1");
                    Expect(fallback.Next(15, "b1"), "input2", "b1");
                    await Send(sender, "output3", "c1");
                    Expect(fallback.Next(15, "c1"), "input3", "c1");
                    Assert.AreEqual(1, named.Count);

                    // Replacing the input1 handler.
                    await receiver.SetInputMessageHandlerAsync("input1", Collect(replacement), null);
                    await Send(sender, "output1", "a2");
                    Expect(replacement.Next(15, "a2"), "input1", "a2");
                    Assert.AreEqual(1, named.Count);

                    // Removing it: input1 goes to the default handler.
                    await receiver.SetInputMessageHandlerAsync("input1", null, null);
                    await Send(sender, "output1", "a3");
                    Expect(fallback.Next(15, "a3"), "input1", "a3");
                    Assert.AreEqual(1, replacement.Count);

                    // A batch: every message arrives.
                    var batch = Enumerable.Range(0, 5).Select(i => new Message(Bytes.Of("batch" + i)) { MessageId = "batch" + i }).ToList();
                    await Wait.Within(sender.SendEventBatchAsync("output2", batch), 30, "batch");
                    var ids = new HashSet<string>();
                    for (int i = 0; i < 5; i++)
                    {
                        ids.Add(fallback.Next(15, "batch message " + i).MessageId);
                    }
                    CollectionAssert.AreEquivalent(batch.Select(m => m.MessageId), ids);
                    // A batch of messages with only a body (they cross to native code as one array).
                    var plain = Enumerable.Range(0, 4).Select(i => new Message(Bytes.Of("plain" + i))).ToList();
                    await Wait.Within(sender.SendEventBatchAsync("output2", plain), 30, "body-only batch");
                    var bodies = new List<string>();
                    for (int i = 0; i < 4; i++)
                    {
                        Message got = fallback.Next(15, "body-only message " + i);
                        Assert.IsNull(got.MessageId);
                        bodies.Add(Bytes.Text(got.GetBytes()));
                    }
                    CollectionAssert.AreEquivalent(plain.Select(m => Bytes.Text(m.GetBytes())), bodies);
                    await Wait.Within(sender.SendEventBatchAsync("output2", new Message[0]), 30, "empty batch");
                    Assert.Throws<ArgumentException>(() => sender.SendEventBatchAsync("output2", new Message[] { null }));
                    await Wait.Within(sender.SendEventBatchAsync(batch.Take(2)), 30, "telemetry batch");
                }
            }, 120);
        }

        [Test]
        public void S09_OversizedMessageIsATypedErrorAndTheClientStaysUsable()
        {
            Wait.Run(async () =>
            {
                using (Hub hub = Hub.Start())
                using (ModuleClient receiver = hub.Client("receiver"))
                using (ModuleClient sender = hub.Client("sender"))
                {
                    var inbox = new Inbox<Message>();
                    await receiver.SetInputMessageHandlerAsync("input1", Collect(inbox), null);
                    await Wait.Within(receiver.OpenAsync(), 30, "receiver open");
                    await Wait.Within(sender.OpenAsync(), 30, "sender open");

                    var big = new Message(new byte[300 * 1024]);
                    var e = await Throws<MessageTooLargeException>(sender.SendEventAsync("output1", big));
                    Assert.AreEqual(ErrorCode.MessageTooLarge, e.Code);
                    StringAssert.Contains("262144", e.Message);
                    await Throws<MessageTooLargeException>(sender.SendEventBatchAsync("output1",
                        new[] { new Message(Bytes.Of("small")), big }));
                    await Throws<MessageTooLargeException>(sender.SendEventAsync(big));

                    Assert.AreEqual(ConnectionStatus.Connected, sender.ConnectionStatusInfo.Status);
                    await Wait.Within(sender.SendEventAsync("output1", new Message(Bytes.Of("small"))), 30, "small send");
                    Assert.AreEqual("small", Bytes.Text(inbox.Next(15, "the small message").GetBytes()));
                    Message extra;
                    Assert.IsFalse(inbox.TryNext(300, out extra), "nothing of the refused sends arrived");
                }
            }, 120);
        }

        [Test]
        public void S24_UserTopicsPublishAndSubscribeFollowTheBrokerPolicy()
        {
            Wait.Run(async () =>
            {
                using (Hub hub = Hub.Start())
                using (ModuleClient subscriber = hub.Client("receiver"))
                using (ModuleClient publisher = hub.Client("sender"))
                {
                    var alerts = new Inbox<TopicMessage>();
                    TopicSubscription subscription = await Wait.Within(subscriber.SubscribeAsync("alerts/#", (m, c) =>
                    {
                        alerts.Add(m);
                        return Task.FromResult(0);
                    }, null), 30, "subscribe");
                    Assert.AreEqual("alerts/#", subscription.TopicFilter);
                    Assert.IsTrue(hub.Inspect("receiver").SubscribedTo("alerts/#"));

                    await Wait.Within(publisher.PublishAsync("alerts/high", Bytes.Of("too hot")), 30, "publish");
                    TopicMessage got = alerts.Next(15, "the alert");
                    Assert.AreEqual("alerts/high", got.Topic);
                    Assert.AreEqual("too hot", Bytes.Text(got.Payload));
                    await Wait.Within(publisher.PublishAsync("alerts/low", Bytes.Of("fine"), QualityOfService.AtMostOnce), 30, "qos 0");
                    Assert.AreEqual("alerts/low", alerts.Next(15, "the qos 0 alert").Topic);

                    // The policy does not let the publisher subscribe.
                    await Throws<UnauthorizedException>(publisher.SubscribeAsync("alerts/#", (m, c) => Task.FromResult(0), null));
                    // Reserved topics never reach the wire.
                    await Throws<InvalidArgumentException>(publisher.PublishAsync("$iothub/twin/GET/?$rid=1", new byte[0]));

                    // Unsubscribing sends UNSUBSCRIBE: the hub forgets the filter, nothing more arrives.
                    await Wait.Within(subscription.UnsubscribeAsync(), 30, "unsubscribe");
                    Assert.IsFalse(hub.Inspect("receiver").SubscribedTo("alerts/#"), hub.Inspect("receiver").Subscriptions);
                    subscription.Dispose();
                    await Wait.Within(publisher.PublishAsync("alerts/late", Bytes.Of("late")), 30, "publish after unsubscribe");
                    TopicMessage late;
                    Assert.IsFalse(alerts.TryNext(500, out late), "delivered after the subscription ended");

                    // Disposing a subscription unsubscribes too.
                    TopicSubscription second = await subscriber.SubscribeAsync("alerts/+", (m, c) => Task.FromResult(0), null);
                    Assert.IsTrue(hub.Inspect("receiver").SubscribedTo("alerts/+"));
                    second.Dispose();
                    hub.WaitInspect("receiver", 10, "UNSUBSCRIBE after Dispose", v => !v.SubscribedTo("alerts/+"));
                }
            }, 120);
        }

        [Test]
        public void S24_TopicMessagesAreAcknowledgedAfterTheHandlerReturns()
        {
            Wait.Run(async () =>
            {
                using (Hub hub = Hub.Start())
                using (ModuleClient subscriber = hub.Client("receiver"))
                using (ModuleClient publisher = hub.Client("sender"))
                {
                    var seen = new Inbox<string>();
                    var gate = new SemaphoreSlim(0);
                    int running = 0, overlaps = 0;
                    TopicSubscription subscription = await Wait.Within(subscriber.SubscribeAsync("alerts/#", async (m, c) =>
                    {
                        if (Interlocked.Increment(ref running) != 1)
                        {
                            Interlocked.Increment(ref overlaps);
                        }
                        seen.Add(m.Topic);
                        // Returns only when the test lets it.
                        await gate.WaitAsync();
                        Interlocked.Decrement(ref running);
                    }, null), 30, "subscribe");
                    long acks = hub.Inspect("receiver").AcksTotal;
                    for (int i = 0; i < 3; i++)
                    {
                        await Wait.Within(publisher.PublishAsync("alerts/" + i, Bytes.Of("x")), 30, "publish");
                    }
                    for (int i = 0; i < 3; i++)
                    {
                        Assert.AreEqual("alerts/" + i, seen.Next(15, "handled"));
                        // The handler has the message but has not returned: not acknowledged yet.
                        await Task.Delay(200);
                        Assert.AreEqual(acks + i, hub.Inspect("receiver").AcksTotal, "acknowledged only after the handler returns");
                        gate.Release();
                        long expected = acks + i + 1;
                        hub.WaitInspect("receiver", 10, "acknowledged", v => v.AcksTotal == expected);
                    }
                    hub.Inspect("receiver").AssertAcksInOrder();
                    Assert.AreEqual(0, Volatile.Read(ref overlaps), "one message at a time");
                    subscription.Dispose();
                }
            }, 120);
        }

        [Test]
        public void S24_APublishThePolicyDeniesFailsUnauthorized()
        {
            Wait.Run(async () =>
            {
                using (Hub hub = Hub.Start())
                using (ModuleClient publisher = hub.Client("sender"))
                {
                    await Wait.Within(publisher.OpenAsync(), 30, "open");
                    var watch = System.Diagnostics.Stopwatch.StartNew();
                    UnauthorizedException e = await Throws<UnauthorizedException>(
                        publisher.PublishAsync("alerts/denied/x", Bytes.Of("x")));
                    Assert.AreEqual(ErrorCode.Unauthorized, e.Code);
                    Assert.Less(watch.Elapsed.TotalSeconds, 5, "told at once, not after the operation timeout");
                    // The hub dropped the connection (as the 1.2 broker does); the client reconnects.
                    await Wait.Within(publisher.OpenAsync(), 15, "reconnect");
                    await Wait.Within(publisher.PublishAsync("alerts/fine", Bytes.Of("x")), 30, "an allowed publish");
                }
            }, 120);
        }

        internal static MessageHandler Collect(Inbox<Message> inbox)
        {
            return (m, c) =>
            {
                inbox.Add(m);
                return Task.FromResult(MessageResponse.Completed);
            };
        }

        internal static Task Send(ModuleClient sender, string output, string id)
        {
            return Wait.Within(sender.SendEventAsync(output, new Message(Bytes.Of(id)) { MessageId = id }), 30, "send " + id);
        }

        private static void Expect(Message m, string input, string id)
        {
            Assert.AreEqual(input, m.InputName);
            Assert.AreEqual(id, m.MessageId);
        }

        internal static async Task<T> Throws<T>(Task task) where T : Exception
        {
            try
            {
                await Wait.Within(task, 30, "an operation expected to fail");
            }
            catch (T e)
            {
                return e;
            }
            catch (Exception e)
            {
                Assert.Fail("expected " + typeof(T).Name + ", got " + e);
            }
            Assert.Fail("expected " + typeof(T).Name + ", the operation succeeded");
            return null;
        }
    }
}

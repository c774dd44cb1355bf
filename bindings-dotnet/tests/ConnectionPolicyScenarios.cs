// S22, S23, S25: SAS renewal with a short lifetime, giving up reconnecting, and the core's log
// records in .NET's own logging (TraceSource "EdgeModule" and the ClientOptions.Logger delegate).
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
    /// <summary>Collects what a TraceSource writes.</summary>
    internal sealed class CollectingListener : TraceListener
    {
        internal readonly ConcurrentQueue<string> Lines = new ConcurrentQueue<string>();
        internal readonly ConcurrentQueue<LogRecord> Records = new ConcurrentQueue<LogRecord>();

        public override void Write(string message)
        {
        }

        public override void WriteLine(string message)
        {
            Lines.Enqueue(message);
        }

        public override void TraceData(TraceEventCache eventCache, string source, TraceEventType eventType, int id, object data)
        {
            var record = data as LogRecord;
            if (record != null)
            {
                Records.Enqueue(record);
            }
            Lines.Enqueue(eventType + ": " + data);
        }
    }

    [TestFixture]
    public class ConnectionPolicyScenarios
    {
        [Test]
        public void S22_ShortSasLifetimeRenewsWhileSendingAndLosesNothing()
        {
            const int count = 60;
            Wait.Run(async () =>
            {
                var log = new ConcurrentQueue<string>();
                using (Hub hub = Hub.Start())
                using (ModuleClient receiver = hub.Client("receiver"))
                using (ModuleClient sender = hub.Client("sender", o =>
                {
                    o.SasTokenTimeToLive = TimeSpan.FromSeconds(2);
                    o.SasTokenRenewalPercent = 50;
                    o.Logger = (level, message) => log.Enqueue(level + " " + message);
                    o.LoggerLevel = LogLevel.Information;
                }))
                {
                    var ids = new ConcurrentDictionary<string, int>();
                    await receiver.SetInputMessageHandlerAsync("input1", (m, c) =>
                    {
                        ids.AddOrUpdate(m.MessageId, 1, (k, v) => v + 1);
                        return Task.FromResult(MessageResponse.Completed);
                    }, null);
                    await Wait.Within(receiver.OpenAsync(), 30, "receiver open");
                    var statuses = new ConcurrentQueue<ConnectionStatusInfo>();
                    sender.SetConnectionStatusChangesHandler((s, r) => statuses.Enqueue(new ConnectionStatusInfo(s, r)));
                    await Wait.Within(sender.OpenAsync(), 30, "sender open");
                    long connectionsBefore = hub.Inspect("sender").Counter("connections");

                    // About 6 s of sending: a token lives 2 s and is renewed after 1 s.
                    for (int i = 0; i < count; i++)
                    {
                        string id = "r" + i.ToString("000");
                        await Wait.Within(sender.SendEventAsync("output1", new Message(Bytes.Of(id)) { MessageId = id }), 30, "send " + id);
                        await Task.Delay(100);
                    }
                    await Wait.Until(() => ids.Count == count, 30, "every message at the receiver");

                    long renewals = hub.Inspect("sender").Counter("connections") - connectionsBefore;
                    Assert.GreaterOrEqual(renewals, 3, "reconnects with a fresh token");
                    List<string> renewed = log.Where(l => l.Contains("renewing the SAS token")).ToList();
                    Assert.GreaterOrEqual(renewed.Count, 3, string.Join("\n", log));
                    // Renewals are silent: no failure, no retrying state.
                    Assert.IsEmpty(statuses.Where(s => s.Status != ConnectionStatus.Connected).ToList(),
                        string.Join(", ", statuses));
                    Assert.AreEqual(ConnectionStatus.Connected, sender.ConnectionStatusInfo.Status);
                }
            }, 150);
        }

        [Test]
        public void S23_RetryGiveUpFailsPendingOperationsWithConnection()
        {
            Wait.Run(async () =>
            {
                using (Hub hub = Hub.Start())
                using (ModuleClient sender = hub.Client("sender", o =>
                {
                    o.RetryGiveUpAfter = TimeSpan.FromSeconds(2);
                    o.RetryInitialDelay = TimeSpan.FromMilliseconds(50);
                    o.RetryMaxDelay = TimeSpan.FromMilliseconds(300);
                    o.OperationTimeout = TimeSpan.FromSeconds(60);
                }))
                {
                    var statuses = new Inbox<ConnectionStatusInfo>();
                    sender.SetConnectionStatusChangesHandler((s, r) => statuses.Add(new ConnectionStatusInfo(s, r)));
                    await Wait.Within(sender.OpenAsync(), 30, "open");
                    hub.Stop();
                    while (statuses.Next(15, "retrying").Status != ConnectionStatus.Disconnected_Retrying)
                    {
                    }
                    Stopwatch watch = Stopwatch.StartNew();
                    var pending = new List<Task>();
                    for (int i = 0; i < 3; i++)
                    {
                        pending.Add(sender.SendEventAsync("output1", new Message(Bytes.Of("pending" + i))));
                    }
                    pending.Add(sender.GetTwinAsync());

                    ConnectionStatusInfo last;
                    do
                    {
                        last = statuses.Next(20, "the give-up");
                    }
                    while (last.Status == ConnectionStatus.Disconnected_Retrying);
                    Assert.AreEqual(ConnectionStatus.Disconnected, last.Status);
                    Assert.AreEqual(ConnectionStatusChangeReason.Retry_Expired, last.ChangeReason);
                    foreach (Task t in pending)
                    {
                        ConnectionException e = await MessageScenarios.Throws<ConnectionException>(t);
                        Assert.AreEqual(ErrorCode.Connection, e.Code);
                        Assert.IsTrue(e.IsTransient);
                    }
                    Assert.Less(watch.Elapsed.TotalSeconds, 20, "failed at the give-up, not at the operation timeout");
                    Assert.AreEqual(ConnectionStatusChangeReason.Retry_Expired, sender.ConnectionStatusInfo.ChangeReason);
                    // Nothing more arrives on the status handler for those operations.
                    ConnectionStatusInfo extra;
                    Assert.IsFalse(statuses.TryNext(300, out extra), "unexpected status " + extra);
                }
            }, 120);
        }

        [Test]
        public void S25_CoreLogRecordsReachTraceSourceAndTheLoggerOnAHubRestart()
        {
            var listener = new CollectingListener();
            TraceSource source = EdgeModuleLogging.Source;
            SourceLevels levelBefore = source.Switch.Level;
            source.Listeners.Add(listener);
            source.Switch.Level = SourceLevels.Information;
            EdgeModuleLogging.Refresh();
            try
            {
                Wait.Run(async () =>
                {
                    var logged = new ConcurrentQueue<KeyValuePair<LogLevel, string>>();
                    int loggerThread = 0;
                    using (Hub hub = Hub.Start())
                    using (ModuleClient receiver = hub.Client("receiver", o =>
                    {
                        o.Logger = (level, message) =>
                        {
                            Volatile.Write(ref loggerThread, Thread.CurrentThread.ManagedThreadId);
                            logged.Enqueue(new KeyValuePair<LogLevel, string>(level, message));
                        };
                        o.LoggerLevel = LogLevel.Debug;
                    }))
                    {
                        var statuses = new Inbox<ConnectionStatus>();
                        receiver.SetConnectionStatusChangesHandler((s, r) => statuses.Add(s));
                        await Wait.Within(receiver.OpenAsync(), 30, "open");
                        hub.Stop();
                        while (statuses.Next(15, "retrying") != ConnectionStatus.Disconnected_Retrying)
                        {
                        }
                        hub.StartAgain();
                        while (statuses.Next(30, "reconnected") != ConnectionStatus.Connected)
                        {
                        }
                        await Wait.Until(() => logged.Any(r => r.Value.Contains("connected") && r.Value.Contains("reconnect=true")),
                            10, "the reconnect's record at the logger");

                        List<KeyValuePair<LogLevel, string>> records = logged.ToList();
                        string all = string.Join("\n", records.Select(r => r.Key + " " + r.Value));
                        Console.WriteLine("S25 logger records:\n" + all);
                        Assert.IsTrue(records.Any(r => r.Key == LogLevel.Warning && r.Value.Contains("connection lost") &&
                            r.Value.Contains("module=receiver")), all);
                        Assert.IsTrue(records.Any(r => r.Key == LogLevel.Information && r.Value.Contains("connected") &&
                            r.Value.Contains("module=receiver") && r.Value.Contains("reconnect=true")), all);
                        Assert.IsTrue(records.Any(r => r.Key == LogLevel.Debug), "debug records at LoggerLevel Debug: " + all);
                        Assert.AreNotEqual(0, Volatile.Read(ref loggerThread));

                        // The TraceSource saw the same records as structured LogRecords, at its own level.
                        await Wait.Until(() => listener.Records.Any(r => r.Message == "connected" &&
                            r.Fields.Any(f => f.Key == "reconnect" && f.Value == "true")), 10, "the TraceSource record");
                        List<LogRecord> traced = listener.Records.ToList();
                        LogRecord lost = traced.First(r => r.Message == "connection lost");
                        Assert.AreEqual(LogLevel.Warning, lost.Level);
                        Assert.AreEqual("connection", lost.Area);
                        Assert.IsTrue(lost.Fields.Any(f => f.Key == "module" && f.Value == "receiver"), lost.ToString());
                        Assert.IsFalse(traced.Any(r => r.Level < LogLevel.Information),
                            "the TraceSource switch (Information) filters debug records");
                    }
                }, 150);
            }
            finally
            {
                source.Listeners.Remove(listener);
                source.Switch.Level = levelBefore;
                EdgeModuleLogging.Refresh();
            }
        }

        [Test]
        public void LoggingIsOffWhenNobodyListens()
        {
            TraceSource source = EdgeModuleLogging.Source;
            Assert.AreEqual(SourceLevels.Off, source.Switch.Level, "the TraceSource is off unless configured");
            EdgeModuleLogging.Refresh();
            Assert.AreEqual(LogLevel.None, EdgeModuleLogging.NativeLevel, "no record is formatted in the core");
        }
    }
}

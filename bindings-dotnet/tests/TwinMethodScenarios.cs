// S05, S06, S07, S08: twins and direct methods.
using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using NUnit.Framework;

namespace EdgeModule.Tests
{
    [TestFixture]
    public class TwinMethodScenarios
    {
        [Test]
        public void S05_GetTwinPatchReportedVersionsMove()
        {
            Wait.Run(async () =>
            {
                using (Hub hub = Hub.Start())
                using (ModuleClient client = hub.Client("receiver"))
                {
                    Twin twin = await Wait.Within(client.GetTwinAsync(), 30, "get twin");
                    Assert.AreEqual("receiver", twin.ModuleId);
                    Assert.AreEqual(client.DeviceId, twin.DeviceId);
                    TwinCollection desired = twin.Properties.Desired;
                    Assert.AreEqual(30L, desired["threshold"]);
                    Assert.AreEqual("C", ((TwinCollection)desired["nested"])["unit"]);
                    Assert.GreaterOrEqual(desired.Version, 1);
                    long reportedBefore = twin.Properties.Reported.Version;

                    var patch = new TwinCollection();
                    patch["status"] = "running";
                    patch["count"] = 1;
                    patch["nested"] = new Dictionary<string, object> { { "ok", true } };
                    await Wait.Within(client.UpdateReportedPropertiesAsync(patch), 30, "patch reported");
                    twin = await client.GetTwinAsync();
                    TwinCollection reported = twin.Properties.Reported;
                    Assert.AreEqual(1L, reported["count"]);
                    Assert.AreEqual("running", reported["status"]);
                    Assert.AreEqual(true, ((TwinCollection)reported["nested"])["ok"]);
                    Assert.Greater(reported.Version, reportedBefore);
                    long versionAfter = reported.Version;

                    // null removes a member; the version moves again.
                    var second = new TwinCollection();
                    second["count"] = 2;
                    second["status"] = null;
                    await client.UpdateReportedPropertiesAsync(second);
                    reported = (await client.GetTwinAsync()).Properties.Reported;
                    Assert.AreEqual(2L, reported["count"]);
                    Assert.IsFalse(reported.Contains("status"));
                    Assert.Greater(reported.Version, versionAfter);

                    // The hub's own view agrees.
                    TwinCollection cli = hub.Twin("receiver");
                    Assert.AreEqual(2L, ((TwinCollection)cli["reported"])["count"]);
                }
            }, 120);
        }

        [Test]
        public void S06_DesiredPatchReachesTheHandlerWithItsVersion()
        {
            Wait.Run(async () =>
            {
                using (Hub hub = Hub.Start())
                using (ModuleClient client = hub.Client("receiver"))
                {
                    var patches = new Inbox<TwinCollection>();
                    object context = "ctx";
                    object seen = null;
                    await client.SetDesiredPropertyUpdateCallbackAsync((p, c) =>
                    {
                        seen = c;
                        patches.Add(p);
                        return Task.FromResult(0);
                    }, context);
                    await Wait.Within(client.OpenAsync(), 30, "open");
                    long before = (await client.GetTwinAsync()).Properties.Desired.Version;

                    hub.Twin("receiver", "{\"threshold\":42,\"mode\":\"fast\"}");
                    TwinCollection patch = patches.Next(15, "the desired patch");
                    Assert.AreSame(context, seen);
                    Assert.AreEqual(42L, patch["threshold"]);
                    Assert.AreEqual("fast", patch["mode"]);
                    Assert.Greater(patch.Version, before);
                    StringAssert.Contains("\"$version\":" + patch.Version, patch.ToJson());

                    Twin twin = await client.GetTwinAsync();
                    Assert.AreEqual(patch.Version, twin.Properties.Desired.Version);
                    Assert.AreEqual(42L, twin.Properties.Desired["threshold"]);

                    // Removing the handler: later patches are not delivered to it.
                    await client.SetDesiredPropertyUpdateCallbackAsync(null, null);
                    hub.Twin("receiver", "{\"threshold\":43}");
                    TwinCollection late;
                    Assert.IsFalse(patches.TryNext(500, out late), "a removed handler was called");
                }
            }, 120);
        }

        [Test]
        public void S07_DirectMethodRoundTrip()
        {
            Wait.Run(async () =>
            {
                using (Hub hub = Hub.Start())
                using (ModuleClient client = hub.Client("receiver"))
                {
                    int echoCalls = 0;
                    await client.SetMethodHandlerAsync("echo", (request, context) =>
                    {
                        Interlocked.Increment(ref echoCalls);
                        Assert.AreEqual("echo", request.Name);
                        Assert.AreEqual("the context", context);
                        return Task.FromResult(new MethodResponse(Bytes.Of("{\"echo\":" + request.DataAsJson + "}"), 200));
                    }, "the context");
                    string defaultName = null;
                    await client.SetMethodDefaultHandlerAsync(async (request, context) =>
                    {
                        defaultName = request.Name;
                        await Task.Delay(200); // answered later, from another thread
                        return new MethodResponse(Bytes.Of("{\"deferred\":true}"), 201);
                    }, null);
                    await Wait.Within(client.OpenAsync(), 30, "open");

                    TwinCollection answer = hub.Invoke("receiver", "echo", "{\"x\":1,\"s\":\"hi\"}");
                    Assert.AreEqual(200L, answer["status"]);
                    var echoed = (TwinCollection)((TwinCollection)answer["payload"])["echo"];
                    Assert.AreEqual(1L, echoed["x"]);
                    Assert.AreEqual("hi", echoed["s"]);
                    Assert.AreEqual(1, echoCalls);

                    answer = hub.Invoke("receiver", "calibrate", "null");
                    Assert.AreEqual(201L, answer["status"]);
                    Assert.AreEqual(true, ((TwinCollection)answer["payload"])["deferred"]);
                    Assert.AreEqual("calibrate", defaultName);

                    // A response without a payload.
                    await client.SetMethodHandlerAsync("ping", (r, c) => Task.FromResult(new MethodResponse(204)), null);
                    answer = hub.Invoke("receiver", "ping");
                    Assert.AreEqual(204L, answer["status"]);
                }
            }, 120);
        }

        [Test]
        public void S08_ModuleToModuleInvokeMethod()
        {
            Wait.Run(async () =>
            {
                using (Hub hub = Hub.Start())
                using (ModuleClient receiver = hub.Client("receiver"))
                using (ModuleClient caller = hub.Client("caller"))
                {
                    await receiver.SetMethodHandlerAsync("add", (request, context) =>
                    {
                        var args = new TwinCollection(request.DataAsJson);
                        if (!args.Contains("a") || !args.Contains("b"))
                        {
                            return Task.FromResult(new MethodResponse(Bytes.Of("{\"error\":\"need a and b\"}"), 400));
                        }
                        long sum = (long)args["a"] + (long)args["b"];
                        return Task.FromResult(new MethodResponse(Bytes.Of("{\"sum\":" + sum + "}"), 200));
                    }, null);
                    await Wait.Within(receiver.OpenAsync(), 30, "receiver open");

                    MethodResponse response = await Wait.Within(caller.InvokeMethodAsync(caller.DeviceId, "receiver",
                        new MethodRequest("add", "{\"a\":2,\"b\":3}", TimeSpan.FromSeconds(10), null)), 30, "invoke");
                    Assert.AreEqual(200, response.Status);
                    Assert.AreEqual(5L, new TwinCollection(response.ResultAsJson)["sum"]);

                    // A handler status other than 200 is the status, not an exception.
                    response = await caller.InvokeMethodAsync(caller.DeviceId, "receiver", new MethodRequest("add", "{}"));
                    Assert.AreEqual(400, response.Status);
                    StringAssert.Contains("need a and b", response.ResultAsJson);

                    // Many at once.
                    var calls = new List<Task<MethodResponse>>();
                    for (int i = 0; i < 10; i++)
                    {
                        calls.Add(caller.InvokeMethodAsync(caller.DeviceId, "receiver",
                            new MethodRequest("add", "{\"a\":" + i + ",\"b\":40}")));
                    }
                    MethodResponse[] all = await Wait.Within(Task.WhenAll(calls), 60, "parallel invokes");
                    for (int i = 0; i < 10; i++)
                    {
                        Assert.AreEqual(40L + i, new TwinCollection(all[i].ResultAsJson)["sum"]);
                    }

                    // The sender module is not connected.
                    await MessageScenarios.Throws<NotFoundException>(caller.InvokeMethodAsync(caller.DeviceId, "sender",
                        new MethodRequest("add", (string)null, TimeSpan.FromSeconds(5), null)));
                    // Arguments are checked before anything is sent.
                    await MessageScenarios.Throws<InvalidArgumentException>(caller.InvokeMethodAsync(caller.DeviceId,
                        "receiver", new MethodRequest("add", "{bad")));
                    await MessageScenarios.Throws<InvalidArgumentException>(caller.InvokeMethodAsync(caller.DeviceId,
                        "receiver", new MethodRequest("add", (string)null, TimeSpan.FromSeconds(1), null)));
                }
            }, 150);
        }
    }
}

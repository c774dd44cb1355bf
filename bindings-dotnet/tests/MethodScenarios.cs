// S17, S20, S21: direct methods through the core's handler API — no handler (404 / 501), the
// one failure reply of every language, and an invoke timeout.
using System;
using System.Diagnostics;
using System.Threading.Tasks;
using NUnit.Framework;

namespace EdgeModule.Tests
{
    [TestFixture]
    public class MethodScenarios
    {
        /// <summary>edgemodule::delivery::METHOD_FAILURE_PAYLOAD: the same bytes in every language.</summary>
        internal const string FailurePayload = "{\"error\":\"HANDLER_FAILED\",\"message\":\"the method handler failed\"}";

        /// <summary>edgemodule::delivery::METHOD_NO_HANDLER_PAYLOAD.</summary>
        internal const string NoHandlerPayload = "{\"error\":\"NO_HANDLER\",\"message\":\"the module has no handler for this method\"}";

        private static Task<MethodResponse> Call(ModuleClient caller, string module, string method, int timeoutSeconds = 10)
        {
            return caller.InvokeMethodAsync(caller.DeviceId, module,
                new MethodRequest(method, (string)null, TimeSpan.FromSeconds(timeoutSeconds), null));
        }

        [Test]
        public void S17_NoMethodHandlerMeans404AtOnce()
        {
            Wait.Run(async () =>
            {
                using (Hub hub = Hub.Start())
                using (ModuleClient target = hub.Client("nomethods"))
                using (ModuleClient caller = hub.Client("caller"))
                {
                    // Handles inputs and desired patches, but no method.
                    await target.SetMessageHandlerAsync((m, c) => Task.FromResult(MessageResponse.Completed), null);
                    await target.SetDesiredPropertyUpdateCallbackAsync((p, c) => Task.FromResult(0), null);
                    await Wait.Within(target.OpenAsync(), 30, "open");
                    await Wait.Within(caller.OpenAsync(), 30, "caller open");
                    Inspection inspection = hub.Inspect("nomethods");
                    StringAssert.DoesNotContain("$iothub/methods", inspection.Subscriptions, "not subscribed to methods");

                    Stopwatch watch = Stopwatch.StartNew();
                    NotFoundException e = await MessageScenarios.Throws<NotFoundException>(Call(caller, "nomethods", "reset", 20));
                    watch.Stop();
                    Assert.AreEqual(ErrorCode.NotFound, e.Code);
                    Assert.Less(watch.Elapsed.TotalSeconds, 1.0, "answered after " + watch.Elapsed);
                }
            }, 120);
        }

        [Test]
        public void S17_AMethodNothingHandlesGetsTheNoHandlerReply()
        {
            Wait.Run(async () =>
            {
                using (Hub hub = Hub.Start())
                using (ModuleClient target = hub.Client("receiver"))
                using (ModuleClient caller = hub.Client("caller"))
                {
                    var errors = new Inbox<BackgroundErrorEventArgs>();
                    target.BackgroundError += (s, e) => errors.Add(e);
                    await target.SetMethodHandlerAsync("reset",
                        (r, c) => Task.FromResult(new MethodResponse(Bytes.Of("\"reset\""), 200)), null);
                    await Wait.Within(target.OpenAsync(), 30, "open");

                    MethodResponse answer = await Wait.Within(Call(caller, "receiver", "reboot"), 20, "unhandled call");
                    Assert.AreEqual(501, answer.Status);
                    Assert.AreEqual(NoHandlerPayload, answer.ResultAsJson);
                    BackgroundErrorEventArgs error = await errors.NextAsync(10, "the background error");
                    Assert.AreEqual(BackgroundErrorKind.NoHandler, error.Kind);
                    Assert.AreEqual(HandlerFamily.Method, error.Family);
                    Assert.AreEqual("reboot", error.Name);
                    answer = await Wait.Within(Call(caller, "receiver", "reset"), 20, "handled call");
                    Assert.AreEqual(200, answer.Status);
                    Assert.AreEqual("\"reset\"", answer.ResultAsJson);
                }
            }, 120);
        }

        [Test]
        public void S20_AFailingMethodHandlerGetsTheOneFailureReply()
        {
            Wait.Run(async () =>
            {
                using (Hub hub = Hub.Start())
                using (ModuleClient target = hub.Client("receiver"))
                using (ModuleClient caller = hub.Client("caller"))
                {
                    var errors = new Inbox<BackgroundErrorEventArgs>();
                    target.BackgroundError += (s, e) => errors.Add(e);
                    await target.SetMethodHandlerAsync("throws", (r, c) =>
                    {
                        throw new InvalidOperationException("secret internal detail");
                    }, null);
                    await target.SetMethodHandlerAsync("faults", FaultAfterAwait, null);
                    await target.SetMethodHandlerAsync("returns-null", (r, c) => Task.FromResult<MethodResponse>(null), null);
                    await target.SetMethodDefaultHandlerAsync((r, c) =>
                        Task.FromResult(new MethodResponse(Bytes.Of("{\"default\":\"" + r.Name + "\"}"), 200)), null);
                    await Wait.Within(target.OpenAsync(), 30, "open");

                    foreach (string method in new[] { "throws", "faults", "returns-null" })
                    {
                        MethodResponse answer = await Wait.Within(Call(caller, "receiver", method), 20, "call " + method);
                        Assert.AreEqual(500, answer.Status, method);
                        Assert.AreEqual(FailurePayload, answer.ResultAsJson, method + ": the core's bytes");
                        BackgroundErrorEventArgs error = await errors.NextAsync(10, "the background error of " + method);
                        Assert.AreEqual(BackgroundErrorKind.HandlerFailed, error.Kind, method);
                        Assert.AreEqual(HandlerFamily.Method, error.Family, method);
                        Assert.AreEqual(method, error.Name);
                        if (method == "throws")
                        {
                            // The handler's own message goes to the error event, never to the caller.
                            StringAssert.Contains("secret internal detail", error.Message);
                        }
                    }
                    // The client keeps answering.
                    MethodResponse other = await Wait.Within(Call(caller, "receiver", "other"), 20, "default handler");
                    Assert.AreEqual(200, other.Status);
                    Assert.AreEqual("{\"default\":\"other\"}", other.ResultAsJson);
                }
            }, 120);
        }

        private static async Task<MethodResponse> FaultAfterAwait(MethodRequest request, object context)
        {
            await Task.Delay(10);
            throw new InvalidOperationException("async failure");
        }

        [Test]
        public void S21_InvokeTimeoutIsHonoured()
        {
            Wait.Run(async () =>
            {
                using (Hub hub = Hub.Start())
                using (ModuleClient mute = hub.Client("mute"))
                using (ModuleClient caller = hub.Client("caller"))
                {
                    var never = new TaskCompletionSource<MethodResponse>();
                    await mute.SetMethodHandlerAsync("hang", (r, c) => never.Task, null);
                    await Wait.Within(mute.OpenAsync(), 30, "open");
                    await Wait.Within(caller.OpenAsync(), 30, "caller open");
                    try
                    {
                        Stopwatch watch = Stopwatch.StartNew();
                        EdgeTimeoutException e = await MessageScenarios.Throws<EdgeTimeoutException>(Call(caller, "mute", "hang", 5));
                        watch.Stop();
                        Assert.AreEqual(ErrorCode.Timeout, e.Code);
                        Assert.IsTrue(e.IsTransient);
                        Assert.GreaterOrEqual(watch.Elapsed.TotalSeconds, 4.5, "not before the response timeout");
                        Assert.Less(watch.Elapsed.TotalSeconds, 8.0, "within the timeout and a small margin");
                    }
                    finally
                    {
                        never.TrySetResult(new MethodResponse(200));
                    }
                }
            }, 120);
        }
    }
}

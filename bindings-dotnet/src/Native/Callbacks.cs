// The native callbacks. Each one is a static delegate held in a static readonly field, so
// its native thunk lives as long as the process; per-registration state travels as a
// GCHandle in `ctx` and is freed by ContextFree exactly once, after the last call. No
// exception ever unwinds into native code: everything is caught, user failures turn into
// the protocol's answer (abandon, 500), and if even the reporting fails the process is
// stopped with FailFast rather than unwinding through Rust frames.
using System;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

namespace EdgeModule.Native
{
    internal static class Callbacks
    {
        internal static readonly ContextFreeCallback ContextFree = OnContextFree;
        internal static readonly DoneCallback Done = OnDone;
        internal static readonly TwinCallback TwinDone = OnTwin;
        internal static readonly InvokeCallback InvokeDone = OnInvoke;
        internal static readonly InputCallback Input = OnInput;
        internal static readonly MethodCallbackNative Method = OnMethod;
        internal static readonly DesiredCallback Desired = OnDesired;
        internal static readonly StatusCallback Status = OnStatus;
        internal static readonly TopicCallback Topic = OnTopic;

        /// <summary>Roots <paramref name="target"/> for a registration; the native side frees it through <see cref="ContextFree"/>.</summary>
        internal static IntPtr Root(object target)
        {
            return GCHandle.ToIntPtr(GCHandle.Alloc(target));
        }

        private static T Target<T>(IntPtr ctx) where T : class
        {
            return (T)GCHandle.FromIntPtr(ctx).Target;
        }

        /// <summary>Reports an exception a handler (or edgemodule itself) raised on a callback path.</summary>
        internal static void Report(Exception error, string where)
        {
            try
            {
                ModuleClient.RaiseCallbackException(error, where);
            }
            catch (Exception fatal)
            {
                // Unwinding into native frames is undefined behaviour; stop instead.
                Environment.FailFast("edgemodule: reporting a callback exception failed", fatal);
            }
        }

        private static void OnContextFree(IntPtr ctx)
        {
            try
            {
                GCHandle.FromIntPtr(ctx).Free();
            }
            catch (Exception e)
            {
                Report(e, "context release");
            }
        }

        private static void OnDone(IntPtr ctx, int result)
        {
            try
            {
                Target<PendingBase>(ctx).Finish(result);
            }
            catch (Exception e)
            {
                Report(e, "operation completion");
            }
        }

        private static void OnTwin(IntPtr ctx, int result, IntPtr json, UIntPtr len)
        {
            try
            {
                var pending = Target<Pending<string>>(ctx);
                if (result == NativeMethods.OK)
                {
                    pending.SetValue(Utf8.String(json, len));
                }
                pending.Finish(result);
            }
            catch (Exception e)
            {
                Report(e, "twin completion");
            }
        }

        private static void OnInvoke(IntPtr ctx, int result, int status, IntPtr json, UIntPtr len)
        {
            try
            {
                var pending = Target<Pending<MethodResponse>>(ctx);
                if (result == NativeMethods.OK)
                {
                    pending.SetValue(new MethodResponse(json == IntPtr.Zero ? null : Utf8.Copy(json, len), status));
                }
                pending.Finish(result);
            }
            catch (Exception e)
            {
                Report(e, "invoke completion");
            }
        }

        private static int OnInput(IntPtr ctx, IntPtr message)
        {
            try
            {
                return Target<InputRegistration>(ctx).Deliver(message);
            }
            catch (Exception e)
            {
                Report(e, "input handler");
                return NativeMethods.DispositionAbandon;
            }
        }

        private static void OnMethod(IntPtr ctx, IntPtr name, UIntPtr nameLen, IntPtr payload, UIntPtr payloadLen,
            IntPtr response)
        {
            // Owned from here on: whatever happens, it is answered exactly once (500 if dropped).
            MethodResponseHandle handle = null;
            try
            {
                handle = new MethodResponseHandle(response);
                string method = Utf8.String(name, nameLen);
                byte[] data = Utf8.Copy(payload, payloadLen);
                Target<MethodRegistration>(ctx).Deliver(method, data, handle);
            }
            catch (Exception e)
            {
                Report(e, "method handler");
                if (handle != null)
                {
                    handle.Dispose();
                }
                else
                {
                    NativeMethods.edgemodule_method_response_free(response);
                }
            }
        }

        private static void OnDesired(IntPtr ctx, IntPtr json, UIntPtr len, long version)
        {
            try
            {
                Target<DesiredRegistration>(ctx).Deliver(Utf8.String(json, len), version);
            }
            catch (Exception e)
            {
                Report(e, "desired-properties handler");
            }
        }

        private static void OnStatus(IntPtr ctx, int state, int reason)
        {
            try
            {
                Target<StatusRegistration>(ctx).Deliver(state, reason);
            }
            catch (Exception e)
            {
                Report(e, "connection status handler");
            }
        }

        private static void OnTopic(IntPtr ctx, IntPtr topic, UIntPtr topicLen, IntPtr payload, UIntPtr payloadLen)
        {
            try
            {
                Target<TopicRegistration>(ctx).Deliver(Utf8.String(topic, topicLen), Utf8.Copy(payload, payloadLen));
            }
            catch (Exception e)
            {
                Report(e, "topic handler");
            }
        }
    }

    /// <summary>
    /// Runs handler tasks one after another off the delivery thread (desired patches and topic
    /// messages keep their order without blocking the delivery thread).
    /// </summary>
    internal sealed class SerialRunner
    {
        private readonly object gate = new object();
        private Task tail = Task.FromResult(0);

        internal void Post(ClientState state, Func<Task> work, string where)
        {
            state.HandlerStarted();
            lock (gate)
            {
                tail = tail.ContinueWith(_ => Run(state, work, where), CancellationToken.None,
                    TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
            }
        }

        private static Task Run(ClientState state, Func<Task> work, string where)
        {
            Task task = null;
            try
            {
                if (!state.Closed)
                {
                    task = ClientState.AsHandler(work);
                }
            }
            catch (Exception e)
            {
                Callbacks.Report(e, where);
            }
            if (task == null)
            {
                state.HandlerFinished();
                return Task.FromResult(0);
            }
            return task.ContinueWith(t =>
            {
                if (t.IsFaulted)
                {
                    Callbacks.Report(t.Exception.GetBaseException(), where);
                }
                state.HandlerFinished();
            }, TaskScheduler.Default);
        }
    }

    internal sealed class InputRegistration
    {
        private readonly MessageHandler handler;
        private readonly object userContext;
        private readonly ClientState state;

        internal InputRegistration(MessageHandler handler, object userContext, ClientState state)
        {
            this.handler = handler;
            this.userContext = userContext;
            this.state = state;
        }

        /// <summary>
        /// Runs the handler and waits for its decision on the delivery thread (the input is
        /// acknowledged only after it: at-least-once). Anything but Completed abandons.
        /// </summary>
        internal int Deliver(IntPtr native)
        {
            if (state.Closed)
            {
                return NativeMethods.DispositionAbandon;
            }
            Message message = Message.FromNative(native);
            Task<MessageResponse> task = null;
            state.EnterDelivery();
            state.HandlerStarted();
            try
            {
                try
                {
                    task = ClientState.AsHandler(() => handler(message, userContext));
                }
                catch (Exception e)
                {
                    Callbacks.Report(e, "input handler");
                    return NativeMethods.DispositionAbandon;
                }
                if (task == null)
                {
                    return NativeMethods.DispositionAbandon;
                }
                if (!task.IsCompleted)
                {
                    // A close stops the wait: the message is abandoned and comes back later.
                    WaitHandle.WaitAny(new[] { ((IAsyncResult)task).AsyncWaitHandle, state.Closing });
                }
                if (task.Status == TaskStatus.RanToCompletion)
                {
                    return task.Result == MessageResponse.Completed
                        ? NativeMethods.DispositionAccept
                        : NativeMethods.DispositionAbandon;
                }
                if (task.IsFaulted)
                {
                    Callbacks.Report(task.Exception.GetBaseException(), "input handler");
                }
                return NativeMethods.DispositionAbandon;
            }
            finally
            {
                state.ExitDelivery();
                if (task == null || task.IsCompleted)
                {
                    state.HandlerFinished();
                }
                else
                {
                    task.ContinueWith(t =>
                    {
                        if (t.IsFaulted)
                        {
                            Callbacks.Report(t.Exception.GetBaseException(), "input handler");
                        }
                        state.HandlerFinished();
                    }, TaskScheduler.Default);
                }
            }
        }
    }

    internal sealed class MethodRegistration
    {
        private readonly MethodCallback handler;
        private readonly object userContext;
        private readonly ClientState state;

        internal MethodRegistration(MethodCallback handler, object userContext, ClientState state)
        {
            this.handler = handler;
            this.userContext = userContext;
            this.state = state;
        }

        /// <summary>Starts the handler and answers from its continuation; the delivery thread is not held.</summary>
        internal void Deliver(string name, byte[] data, MethodResponseHandle response)
        {
            if (state.Closed)
            {
                response.Dispose();
                return;
            }
            var request = new MethodRequest(name, data.Length == 0 ? null : data);
            Task<MethodResponse> task;
            state.EnterDelivery();
            state.HandlerStarted();
            try
            {
                task = ClientState.AsHandler(() => handler(request, userContext));
            }
            catch (Exception e)
            {
                task = null;
                Callbacks.Report(e, "method handler '" + name + "'");
            }
            finally
            {
                state.ExitDelivery();
            }
            if (task == null)
            {
                Task.Run(() => Answer(response, null, name));
                return;
            }
            task.ContinueWith(t => Answer(response, t, name), TaskScheduler.Default);
        }

        private void Answer(MethodResponseHandle response, Task<MethodResponse> task, string name)
        {
            try
            {
                if (task != null && task.IsFaulted)
                {
                    Callbacks.Report(task.Exception.GetBaseException(), "method handler '" + name + "'");
                }
                MethodResponse answer = task != null && task.Status == TaskStatus.RanToCompletion ? task.Result : null;
                if (answer == null)
                {
                    response.Respond(500, Utf8.Bytes("{\"error\":\"the method handler failed\"}"));
                    return;
                }
                byte[] payload = answer.Result.Length == 0 ? null : answer.Result;
                int rc = response.Respond(answer.Status, payload);
                if (rc != NativeMethods.OK && rc != (int)ErrorCode.Closed)
                {
                    Callbacks.Report(EdgeModuleException.Last(rc), "method answer '" + name + "'");
                }
            }
            catch (Exception e)
            {
                Callbacks.Report(e, "method answer '" + name + "'");
                response.Dispose();
            }
            finally
            {
                state.HandlerFinished();
            }
        }
    }

    internal sealed class DesiredRegistration
    {
        private readonly DesiredPropertyUpdateCallback handler;
        private readonly object userContext;
        private readonly ClientState state;
        private readonly SerialRunner runner = new SerialRunner();

        internal DesiredRegistration(DesiredPropertyUpdateCallback handler, object userContext, ClientState state)
        {
            this.handler = handler;
            this.userContext = userContext;
            this.state = state;
        }

        internal void Deliver(string json, long version)
        {
            if (state.Closed)
            {
                return;
            }
            var patch = new TwinCollection(json);
            patch.Version = version;
            runner.Post(state, () => handler(patch, userContext), "desired-properties handler");
        }
    }

    internal sealed class StatusRegistration
    {
        private readonly ConnectionStatusChangesHandler handler;
        private readonly ClientState state;

        internal StatusRegistration(ConnectionStatusChangesHandler handler, ClientState state)
        {
            this.handler = handler;
            this.state = state;
        }

        /// <summary>Runs the (synchronous) handler on the delivery thread, in order.</summary>
        internal void Deliver(int status, int reason)
        {
            if (state.Closed)
            {
                return;
            }
            state.EnterDelivery();
            state.HandlerStarted();
            try
            {
                ClientState.AsHandler(() =>
                {
                    handler((ConnectionStatus)status, (ConnectionStatusChangeReason)reason);
                    return 0;
                });
            }
            catch (Exception e)
            {
                Callbacks.Report(e, "connection status handler");
            }
            finally
            {
                state.ExitDelivery();
                state.HandlerFinished();
            }
        }
    }

    internal sealed class TopicRegistration
    {
        private readonly TopicMessageHandler handler;
        private readonly object userContext;
        private readonly ClientState state;
        private readonly SerialRunner runner = new SerialRunner();

        internal TopicRegistration(TopicMessageHandler handler, object userContext, ClientState state)
        {
            this.handler = handler;
            this.userContext = userContext;
            this.state = state;
        }

        internal void Deliver(string topic, byte[] payload)
        {
            if (state.Closed)
            {
                return;
            }
            var message = new TopicMessage(topic, payload);
            runner.Post(state, () => handler(message, userContext), "topic handler");
        }
    }
}

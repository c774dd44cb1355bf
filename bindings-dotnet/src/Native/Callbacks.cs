// The native callbacks. Each one is a static delegate held in a static readonly field, so
// its native thunk lives as long as the process; per-registration state travels as a
// GCHandle in `ctx` and is freed by ContextFree exactly once, after the last call. No
// exception ever unwinds into native code: everything is caught, a handler's failure goes
// to the core as the outcome of its call (the core retries, acknowledges, answers), and if
// even the reporting fails the process is stopped with FailFast rather than unwinding
// through Rust frames.
using System;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

namespace EdgeModule.Native
{
    internal static class Callbacks
    {
        internal static readonly ContextFreeCallback ContextFree = OnContextFree;
        /// <summary>
        /// None: an operation's completion (<see cref="Done"/>, <see cref="TwinDone"/>,
        /// <see cref="InvokeDone"/>) frees its context itself, which saves a native-to-managed
        /// call per operation.
        /// </summary>
        internal static readonly ContextFreeCallback OperationContextFree = null;
        internal static readonly DoneCallback Done = OnDone;
        internal static readonly TwinCallback TwinDone = OnTwin;
        internal static readonly InvokeCallback InvokeDone = OnInvoke;
        internal static readonly InputCallback Input = OnInput;
        internal static readonly MethodCallbackNative Method = OnMethod;
        internal static readonly DesiredCallback Desired = OnDesired;
        internal static readonly StatusCallback Status = OnStatus;
        internal static readonly TopicCallback Topic = OnTopic;
        internal static readonly BackgroundErrorCallback BackgroundError = OnBackgroundError;
        internal static readonly LogCallback Log = OnLog;

        /// <summary>Roots <paramref name="target"/> for a registration; the native side frees it through <see cref="ContextFree"/>.</summary>
        internal static IntPtr Root(object target)
        {
            return GCHandle.ToIntPtr(GCHandle.Alloc(target));
        }

        private static T Target<T>(IntPtr ctx) where T : class
        {
            return (T)GCHandle.FromIntPtr(ctx).Target;
        }

        /// <summary>The operation behind <paramref name="ctx"/>, whose handle is freed (its last use).</summary>
        private static T TakeOperation<T>(IntPtr ctx) where T : class
        {
            GCHandle handle = GCHandle.FromIntPtr(ctx);
            var target = (T)handle.Target;
            handle.Free();
            return target;
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
                TakeOperation<PendingBase>(ctx).Finish(result);
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
                var pending = TakeOperation<Pending<string>>(ctx);
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
                var pending = TakeOperation<Pending<MethodResponse>>(ctx);
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

        private static int OnInput(IntPtr ctx, IntPtr message, IntPtr call)
        {
            try
            {
                return Target<InputRegistration>(ctx).Deliver(message, call);
            }
            catch (Exception e)
            {
                Report(e, "input handler");
                return NativeMethods.HandlerFailed;
            }
        }

        private static void OnMethod(IntPtr ctx, IntPtr name, UIntPtr nameLen, IntPtr payload, UIntPtr payloadLen,
            IntPtr response)
        {
            // Owned from here on: whatever happens, it is answered exactly once (the core's
            // failure reply if dropped).
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
                    handle.Fail(HandlerCall.Describe(e));
                }
                else
                {
                    NativeMethods.edgemodule_method_response_free(response);
                }
            }
        }

        private static int OnDesired(IntPtr ctx, IntPtr json, UIntPtr len, long version, int full, IntPtr call)
        {
            try
            {
                return Target<DesiredRegistration>(ctx).Deliver(Utf8.String(json, len), version, full != 0, call);
            }
            catch (Exception e)
            {
                Report(e, "desired-properties handler");
                return NativeMethods.HandlerFailed;
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

        private static int OnTopic(IntPtr ctx, IntPtr topic, UIntPtr topicLen, IntPtr payload, UIntPtr payloadLen,
            IntPtr call)
        {
            try
            {
                return Target<TopicRegistration>(ctx).Deliver(Utf8.String(topic, topicLen),
                    Utf8.Copy(payload, payloadLen), call);
            }
            catch (Exception e)
            {
                Report(e, "topic handler");
                return NativeMethods.HandlerFailed;
            }
        }

        private static void OnBackgroundError(IntPtr ctx, int kind, int family, IntPtr name, UIntPtr nameLen,
            IntPtr message, UIntPtr messageLen)
        {
            try
            {
                Target<ClientState>(ctx).RaiseBackgroundError(kind, family, Utf8.String(name, nameLen) ?? "",
                    Utf8.String(message, messageLen) ?? "");
            }
            catch (Exception e)
            {
                Report(e, "background error handler");
            }
        }

        private static void OnLog(IntPtr ctx, int level, IntPtr target, UIntPtr targetLen, IntPtr area,
            UIntPtr areaLen, IntPtr message, UIntPtr messageLen, IntPtr fields, UIntPtr fieldsLen)
        {
            try
            {
                NativeLog.Deliver(level, Utf8.String(target, targetLen) ?? "", Utf8.String(area, areaLen) ?? "",
                    Utf8.String(message, messageLen) ?? "", Utf8.String(fields, fieldsLen) ?? "");
            }
            catch (Exception)
            {
                // A log record is never worth taking the log thread down (nor reporting: that may log).
            }
        }
    }

    /// <summary>
    /// Hands a handler's task to the core as the outcome of its call: the callback returns
    /// OK for a task that already succeeded, else keeps the call (PENDING) and completes it
    /// when the task ends. The core decides what an outcome means (acknowledge, call again,
    /// give up) and when the next item comes; this only translates.
    /// </summary>
    internal static class HandlerCall
    {
        /// <summary>
        /// Runs <paramref name="invoke"/> as handler code on the delivery thread and returns
        /// the callback's result. <paramref name="failure"/> says why a task's result counts
        /// as failed (null: it succeeded; no function: every result succeeds).
        /// </summary>
        internal static int Run<T>(ClientState state, IntPtr call, Func<Task<T>> invoke, Func<T, string> failure,
            string where)
        {
            if (state.Closed)
            {
                return Fail(call, "the client is closing");
            }
            Task<T> task;
            state.EnterDelivery();
            state.HandlerStarted();
            try
            {
                task = ClientState.AsHandler(invoke);
            }
            catch (Exception e)
            {
                state.HandlerFinished();
                return Fail(call, Describe(e));
            }
            finally
            {
                state.ExitDelivery();
            }
            if (task == null)
            {
                state.HandlerFinished();
                return Fail(call, "the " + where + " returned no task");
            }
            if (task.IsCompleted)
            {
                state.HandlerFinished();
                string why = Outcome(task, failure);
                return why == null ? NativeMethods.OK : Fail(call, why);
            }
            task.ContinueWith(t =>
            {
                try
                {
                    string why = Outcome(t, failure);
                    if (why == null)
                    {
                        int rc = NativeMethods.edgemodule_handler_call_complete(call, NativeMethods.OK, null, UIntPtr.Zero);
                        if (rc != NativeMethods.OK && rc != (int)ErrorCode.Closed)
                        {
                            Callbacks.Report(EdgeModuleException.Last(rc), where + " completion");
                        }
                    }
                    else
                    {
                        Fail(call, why);
                    }
                }
                catch (Exception e)
                {
                    Callbacks.Report(e, where + " completion");
                }
                finally
                {
                    state.HandlerFinished();
                }
            }, TaskScheduler.Default);
            return NativeMethods.Pending;
        }

        /// <summary>Why a finished task counts as failed, or null when it succeeded.</summary>
        private static string Outcome<T>(Task<T> task, Func<T, string> failure)
        {
            if (task.IsFaulted)
            {
                return Describe(task.Exception.GetBaseException());
            }
            if (task.IsCanceled)
            {
                return "the handler's task was cancelled";
            }
            return failure == null ? null : failure(task.Result);
        }

        /// <summary>An exception as a failure message: its type and text.</summary>
        internal static string Describe(Exception e)
        {
            return e.GetType().Name + ": " + e.Message;
        }

        /// <summary>
        /// Completes <paramref name="call"/> as failed with <paramref name="message"/> (for the
        /// log and the background error) and returns PENDING, what a callback returns once it
        /// has completed its call itself.
        /// </summary>
        private static int Fail(IntPtr call, string message)
        {
            byte[] text = Utf8.BytesLossy(message);
            int rc = NativeMethods.edgemodule_handler_call_complete(call, NativeMethods.HandlerFailed, text,
                Utf8.Len(text));
            if (rc != NativeMethods.OK && rc != (int)ErrorCode.Closed)
            {
                Callbacks.Report(EdgeModuleException.Last(rc), "handler completion");
            }
            return NativeMethods.Pending;
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
        /// Runs the handler: its task completing with <see cref="MessageResponse.Completed"/>
        /// is success (the core acknowledges), anything else a failure (the core calls again
        /// or gives up).
        /// </summary>
        internal int Deliver(IntPtr native, IntPtr call)
        {
            Message message = Message.FromNative(native);
            return HandlerCall.Run(state, call, () => handler(message, userContext),
                r => r == MessageResponse.Completed ? null : "the input handler returned " + r, "input handler");
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
                response.Fail("the client is closing");
                return;
            }
            var request = new MethodRequest(name, data.Length == 0 ? null : data);
            Task<MethodResponse> task;
            string failure = null;
            state.EnterDelivery();
            state.HandlerStarted();
            try
            {
                task = ClientState.AsHandler(() => handler(request, userContext));
            }
            catch (Exception e)
            {
                task = null;
                failure = HandlerCall.Describe(e);
            }
            finally
            {
                state.ExitDelivery();
            }
            if (task == null)
            {
                Answer(response, null, failure ?? "the method handler returned no task", name);
                return;
            }
            task.ContinueWith(t => Answer(response, t, null, name), TaskScheduler.Default);
        }

        /// <summary>The handler's answer, else the core's failure reply (the binding builds none).</summary>
        private void Answer(MethodResponseHandle response, Task<MethodResponse> task, string failure, string name)
        {
            try
            {
                int rc;
                if (task != null && task.Status == TaskStatus.RanToCompletion && task.Result != null)
                {
                    MethodResponse answer = task.Result;
                    rc = response.Respond(answer.Status, answer.Result.Length == 0 ? null : answer.Result);
                }
                else
                {
                    if (task != null)
                    {
                        failure = task.IsFaulted ? HandlerCall.Describe(task.Exception.GetBaseException())
                            : task.IsCanceled ? "the method handler's task was cancelled"
                            : "the method handler returned null";
                    }
                    rc = response.Fail(failure);
                }
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

        internal DesiredRegistration(DesiredPropertyUpdateCallback handler, object userContext, ClientState state)
        {
            this.handler = handler;
            this.userContext = userContext;
            this.state = state;
        }

        /// <summary>Runs the handler; the core sends the next patch once its task ended.</summary>
        internal int Deliver(string json, long version, bool full, IntPtr call)
        {
            var patch = new TwinCollection(json);
            patch.Version = version;
            patch.IsFullDesired = full;
            return HandlerCall.Run(state, call, () => Completion(handler(patch, userContext)), null,
                "desired-properties handler");
        }

        /// <summary>A plain task as a Task&lt;int&gt; (null stays null).</summary>
        internal static Task<int> Completion(Task task)
        {
            if (task == null)
            {
                return null;
            }
            if (task.Status == TaskStatus.RanToCompletion)
            {
                return Task.FromResult(0);
            }
            return task.ContinueWith(t =>
            {
                t.GetAwaiter().GetResult();
                return 0;
            }, TaskScheduler.Default);
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

        internal TopicRegistration(TopicMessageHandler handler, object userContext, ClientState state)
        {
            this.handler = handler;
            this.userContext = userContext;
            this.state = state;
        }

        /// <summary>Runs the handler; the core acknowledges the message once its task succeeded.</summary>
        internal int Deliver(string topic, byte[] payload, IntPtr call)
        {
            var message = new TopicMessage(topic, payload);
            return HandlerCall.Run(state, call, () => DesiredRegistration.Completion(handler(message, userContext)),
                null, "topic handler");
        }
    }
}

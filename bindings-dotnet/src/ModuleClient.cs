using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using EdgeModule.Native;

namespace EdgeModule
{
    /// <summary>Details of an exception thrown by a handler (or raised on a callback path).</summary>
    public sealed class CallbackExceptionEventArgs : EventArgs
    {
        internal CallbackExceptionEventArgs(Exception exception, string source)
        {
            Exception = exception;
            Source = source;
        }

        /// <summary>The exception.</summary>
        public Exception Exception { get; private set; }

        /// <summary>Which callback it came from, e.g. <c>"input handler"</c>.</summary>
        public string Source { get; private set; }
    }

    /// <summary>
    /// An Azure IoT Edge module client over edgemodule's native core. Names follow
    /// <c>Microsoft.Azure.Devices.Client.ModuleClient</c>; every async method also takes a
    /// <see cref="CancellationToken"/>, which stops the wait (the task becomes cancelled)
    /// but cannot recall what was already handed to the hub.
    /// </summary>
    /// <remarks>
    /// Handlers are registered with edgemodule's core, which decides how they run
    /// (docs/delivery.md): one call at a time per handler, in arrival order; an input message
    /// is acknowledged once its handler's task completed with
    /// <see cref="MessageResponse.Completed"/>; a handler that throws, faults or answers
    /// otherwise is called again with the same item after <see cref="ClientOptions.RedeliveryDelay"/>
    /// (doubling), up to <see cref="ClientOptions.HandlerAttempts"/> calls, then the item is
    /// acknowledged, dropped and reported through <see cref="BackgroundError"/>. A method
    /// handler that throws gets the core's failure reply (500). Handlers start on the
    /// client's delivery thread and may continue anywhere (async). Dispose (or close) the
    /// client when done; a client nobody disposed is closed by its finalizer.
    /// </remarks>
    public sealed partial class ModuleClient : IDisposable
    {
        private readonly ClientHandle handle;
        private readonly ClientState state;
        private readonly string deviceId;
        private readonly string moduleId;
        private readonly object gate = new object();
        private readonly List<TopicSubscription> subscriptions = new List<TopicSubscription>();
        private int disposed;

        private ModuleClient(ClientHandle handle, ClientOptions options)
        {
            this.handle = handle;
            state = new ClientState();
            handle.State = state;
            deviceId = ReadId(handle, true);
            moduleId = ReadId(handle, false);
            state.Owner = new WeakReference<ModuleClient>(this);
            // Always registered (one pointer in the core): the event can be subscribed any time.
            IntPtr ctx = Callbacks.Root(state);
            int rc;
            try
            {
                rc = NativeMethods.edgemodule_client_set_background_error_callback(handle, Callbacks.BackgroundError, ctx,
                    Callbacks.ContextFree);
            }
            catch
            {
                System.Runtime.InteropServices.GCHandle.FromIntPtr(ctx).Free();
                throw;
            }
            EdgeModuleException.Check(rc);
            state.Logger = EdgeModuleLogging.Add(options, moduleId);
        }

        /// <summary>
        /// Raised when edgemodule's .NET layer itself fails on a callback path (e.g. a
        /// completion it could not hand to the core). A handler's own failures are outcomes for
        /// the core, reported through <see cref="BackgroundError"/> and the log.
        /// </summary>
        public static event EventHandler<CallbackExceptionEventArgs> CallbackException;

        /// <summary>
        /// Raised for an error with no operation to return it to: a handler failed on every
        /// attempt (<see cref="BackgroundErrorKind.HandlerFailed"/>), nothing handles an input
        /// or method (<see cref="BackgroundErrorKind.NoHandler"/>), or a handler has run longer
        /// than edgeHub waits (<see cref="BackgroundErrorKind.SlowHandler"/>). Raised on the
        /// client's delivery thread; keep it short. With no subscriber the error is only
        /// logged (warning, <see cref="EdgeModuleLogging"/>).
        /// </summary>
        public event EventHandler<BackgroundErrorEventArgs> BackgroundError
        {
            add { state.BackgroundError += value; }
            remove { state.BackgroundError -= value; }
        }

        /// <summary>The device id.</summary>
        public string DeviceId { get { return deviceId; } }

        /// <summary>The module id.</summary>
        public string ModuleId { get { return moduleId; } }

        /// <summary>The current connection status and its reason.</summary>
        public ConnectionStatusInfo ConnectionStatusInfo
        {
            get
            {
                int status, reason;
                EdgeModuleException.Check(NativeMethods.edgemodule_client_get_status(Handle, out status, out reason));
                return new ConnectionStatusInfo((ConnectionStatus)status, (ConnectionStatusChangeReason)reason);
            }
        }

        // ---- creation -------------------------------------------------------------------

        /// <summary>
        /// Creates a client for the module IoT Edge started: the <c>IOTEDGE_*</c> variables
        /// (signing and trust through the workload API), else <c>EdgeHubConnectionString</c> +
        /// <c>EdgeModuleCACertificateFile</c>. Does not connect yet (see <see cref="OpenAsync()"/>).
        /// Fails with <see cref="ConfigurationException"/> naming a missing or malformed variable.
        /// </summary>
        public static Task<ModuleClient> CreateFromEnvironmentAsync()
        {
            return CreateFromEnvironmentAsync(null, CancellationToken.None);
        }

        /// <summary>Same as <see cref="CreateFromEnvironmentAsync()"/>, with options.</summary>
        public static Task<ModuleClient> CreateFromEnvironmentAsync(ClientOptions options)
        {
            return CreateFromEnvironmentAsync(options, CancellationToken.None);
        }

        /// <summary>Same as <see cref="CreateFromEnvironmentAsync()"/>, with options and a cancellation token.</summary>
        public static Task<ModuleClient> CreateFromEnvironmentAsync(ClientOptions options, CancellationToken cancellationToken)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return Task.FromCanceled<ModuleClient>(cancellationToken);
            }
            options = options ?? new ClientOptions();
            return Task.Run(() => Create(null, options), cancellationToken);
        }

        /// <summary>
        /// Creates a client from a module connection string (<c>HostName=…;GatewayHostName=…;
        /// DeviceId=…;ModuleId=…;SharedAccessKey=…</c>). The gateway's trust bundle comes from
        /// <paramref name="options"/>, else from the file named by <c>EdgeModuleCACertificateFile</c>
        /// (read by the core). Does not connect yet.
        /// </summary>
        public static ModuleClient CreateFromConnectionString(string connectionString, ClientOptions options = null)
        {
            if (connectionString == null)
            {
                throw new ArgumentNullException("connectionString");
            }
            return Create(connectionString, options ?? new ClientOptions());
        }

        /// <summary>
        /// Creates the native client. Every option goes to the core by name in
        /// <c>options_json</c> (the numeric fields of the struct stay zero, "unset"): the core
        /// applies defaults, <c>EDGEMODULE_*</c> variables and the CA-file fallback, and
        /// checks every value.
        /// </summary>
        private static ModuleClient Create(string connectionString, ClientOptions options)
        {
            EdgeModuleRuntime.CheckNotShutDown();
            var native = new NativeOptions();
            NativeMethods.edgemodule_options_init(ref native);
            var strings = new List<IntPtr>();
            try
            {
                native.ConnectionString = Keep(strings, connectionString, out native.ConnectionStringLen);
                native.OptionsJson = Keep(strings, options.ToCoreOptionsJson(), out native.OptionsJsonLen);
                EdgeModuleRuntime.EnsureExitHook();
                ClientHandle created;
                int rc = NativeMethods.edgemodule_client_new(ref native, out created);
                if (rc != NativeMethods.OK)
                {
                    throw EdgeModuleException.Last(rc);
                }
                created.Track();
                try
                {
                    return new ModuleClient(created, options);
                }
                catch
                {
                    created.Dispose();
                    throw;
                }
            }
            finally
            {
                foreach (IntPtr p in strings)
                {
                    Utf8.Free(p);
                }
            }
        }

        private static IntPtr Keep(List<IntPtr> strings, string text, out UIntPtr len)
        {
            IntPtr p = Utf8.Alloc(text, out len);
            if (p != IntPtr.Zero)
            {
                strings.Add(p);
            }
            return p;
        }

        private static string ReadId(ClientHandle client, bool device)
        {
            IntPtr value;
            UIntPtr len;
            int rc = device
                ? NativeMethods.edgemodule_client_device_id(client, out value, out len)
                : NativeMethods.edgemodule_client_module_id(client, out value, out len);
            EdgeModuleException.Check(rc);
            return Utf8.String(value, len);
        }

        // ---- lifecycle -------------------------------------------------------------------

        /// <summary>
        /// Connects and completes once connected and subscribed. Fails at once with
        /// <see cref="UnauthorizedException"/> when the hub refuses the credentials, with
        /// <see cref="ConnectionException"/> / <see cref="EdgeTimeoutException"/> when not
        /// connected within the operation timeout (the client keeps retrying). Register
        /// handlers before opening; every operation also connects on its own.
        /// </summary>
        public Task OpenAsync()
        {
            return OpenAsync(CancellationToken.None);
        }

        /// <summary>Same as <see cref="OpenAsync()"/>, with a cancellation token.</summary>
        public Task OpenAsync(CancellationToken cancellationToken)
        {
            return Operation<object>(cancellationToken,
                h => { EdgeModuleException.Check(NativeMethods.edgemodule_client_connect(h)); return null; },
                (h, ctx) => NativeMethods.edgemodule_client_connect_async(h, Callbacks.Done, ctx, Callbacks.OperationContextFree));
        }

        /// <summary>
        /// Closes the client: operations in flight complete (or fail with
        /// <see cref="ClientClosedException"/>), no handler starts afterwards, and running
        /// handlers are waited for (up to 10 s; not when called from a handler). Idempotent.
        /// The client cannot be opened again; dispose it.
        /// </summary>
        public Task CloseAsync()
        {
            return CloseAsync(CancellationToken.None);
        }

        /// <summary>Same as <see cref="CloseAsync()"/>; the token only stops the wait.</summary>
        public Task CloseAsync(CancellationToken cancellationToken)
        {
            if (Volatile.Read(ref disposed) != 0)
            {
                return Task.FromResult(0);
            }
            state.BeginClose();
            var pending = new Pending<object>(cancellationToken);
            Task.Run(() =>
            {
                try
                {
                    CloseNative();
                    pending.Succeed(null);
                }
                catch (Exception e)
                {
                    pending.Fail(e);
                }
            });
            return pending.Task;
        }

        private void CloseNative()
        {
            int rc = NativeMethods.OK;
            bool added = false;
            try
            {
                handle.DangerousAddRef(ref added);
                rc = NativeMethods.edgemodule_client_close(handle);
            }
            catch (ObjectDisposedException)
            {
                // Already disposed: closed.
            }
            finally
            {
                if (added)
                {
                    handle.DangerousRelease();
                }
            }
            if (!ClientState.InsideHandler)
            {
                state.WaitForHandlers(ClientState.HandlerWait);
            }
            if (rc != NativeMethods.OK && rc != (int)ErrorCode.Closed)
            {
                throw EdgeModuleException.Last(rc);
            }
        }

        /// <summary>
        /// Closes the client (as <see cref="CloseAsync()"/>, synchronously) and frees its
        /// native resources. Idempotent; afterwards every method throws
        /// <see cref="ObjectDisposedException"/>.
        /// </summary>
        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) != 0)
            {
                return;
            }
            state.BeginClose();
            try
            {
                CloseNative();
            }
            catch (EdgeModuleException)
            {
                // Freeing below closes whatever is left.
            }
            TopicSubscription[] subs;
            lock (gate)
            {
                subs = subscriptions.ToArray();
                subscriptions.Clear();
            }
            foreach (TopicSubscription s in subs)
            {
                s.Dispose();
            }
            handle.Dispose();
        }

        // ---- plumbing ----------------------------------------------------------------------

        /// <summary>The native handle; throws <see cref="ObjectDisposedException"/> after Dispose.</summary>
        private ClientHandle Handle
        {
            get
            {
                if (Volatile.Read(ref disposed) != 0 || handle.IsClosed)
                {
                    throw new ObjectDisposedException("ModuleClient");
                }
                return handle;
            }
        }

        /// <summary>
        /// Starts an operation. Normally the native async call, whose completion runs on the
        /// delivery thread; while that thread is busy with a handler (which may be awaiting
        /// this very operation) the blocking native call runs on the thread pool instead.
        /// <paramref name="release"/> (optional) runs once the native side no longer needs the
        /// arguments: right after the async call returned, or after the blocking call.
        /// </summary>
        private Task<T> Operation<T>(CancellationToken cancellationToken, Func<ClientHandle, T> blocking,
            Func<ClientHandle, IntPtr, int> startAsync, Action release = null)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                Release(release);
                return Task.FromCanceled<T>(cancellationToken);
            }
            ClientHandle h;
            try
            {
                h = Handle;
            }
            catch (ObjectDisposedException e)
            {
                Release(release);
                return Task.FromException<T>(e);
            }
            var pending = new Pending<T>(cancellationToken);
            if (startAsync == null || state.DeliveryBusy)
            {
                Task.Run(() =>
                {
                    try
                    {
                        pending.Succeed(blocking(h));
                    }
                    catch (Exception e)
                    {
                        pending.Fail(e);
                    }
                    finally
                    {
                        Release(release);
                    }
                });
                return pending.Task;
            }
            IntPtr ctx = Callbacks.Root(pending);
            int rc;
            try
            {
                rc = startAsync(h, ctx);
            }
            catch (Exception e)
            {
                // The call never reached native code (e.g. the handle was just disposed), so
                // nothing will release the context: do it here.
                System.Runtime.InteropServices.GCHandle.FromIntPtr(ctx).Free();
                pending.Fail(e is ObjectDisposedException ? e : new InternalErrorException(e.Message));
                return pending.Task;
            }
            finally
            {
                Release(release);
            }
            if (rc != NativeMethods.OK)
            {
                // Refused: the completion will not run, and it is what frees the context.
                System.Runtime.InteropServices.GCHandle.FromIntPtr(ctx).Free();
                pending.Fail(EdgeModuleException.Last(rc));
            }
            return pending.Task;
        }

        private static void Release(Action release)
        {
            if (release != null)
            {
                release();
            }
        }

        /// <summary>Runs a registration call; the context is released by the native side, also on failure.</summary>
        private Task Register(CancellationToken cancellationToken, Func<ClientHandle, int> register, Action undoContext)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                if (undoContext != null)
                {
                    undoContext();
                }
                return Task.FromCanceled(cancellationToken);
            }
            try
            {
                ClientHandle h = Handle;
                int rc;
                try
                {
                    rc = register(h);
                }
                catch
                {
                    if (undoContext != null)
                    {
                        undoContext();
                    }
                    throw;
                }
                EdgeModuleException.Check(rc);
                return Task.FromResult(0);
            }
            catch (Exception e)
            {
                return Task.FromException(e);
            }
        }

        internal static void RaiseCallbackException(Exception error, string source)
        {
            EventHandler<CallbackExceptionEventArgs> subscribers = CallbackException;
            if (subscribers == null)
            {
                Trace.TraceWarning("edgemodule: {0} failed: {1}", source, error);
                return;
            }
            var args = new CallbackExceptionEventArgs(error, source);
            foreach (EventHandler<CallbackExceptionEventArgs> subscriber in subscribers.GetInvocationList())
            {
                try
                {
                    subscriber(null, args);
                }
                catch
                {
                    // A failing observer must not take the callback path down.
                }
            }
        }
    }
}

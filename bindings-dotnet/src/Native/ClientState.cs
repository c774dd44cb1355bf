// What the callback contexts of one client share. It never references the client's
// SafeHandle, so a client nobody disposed can still be finalized while handlers are
// registered (unless a handler itself captures the client).
using System;
using System.Threading;

namespace EdgeModule.Native
{
    internal sealed class ClientState
    {
        /// <summary>Set inside handler code (it flows through awaits): close must not wait for the handler calling it.</summary>
        private static readonly AsyncLocal<bool> InHandler = new AsyncLocal<bool>();

        /// <summary>Longest a close waits for running handlers.</summary>
        internal static readonly TimeSpan HandlerWait = TimeSpan.FromSeconds(10);

        private readonly object gate = new object();
        private int deliveryBusy;
        private int handlersRunning;
        private volatile bool closed;
        private EventHandler<BackgroundErrorEventArgs> backgroundError;

        /// <summary>The client that raises <see cref="ModuleClient.BackgroundError"/> (weak: the state must not keep it alive).</summary>
        internal WeakReference<ModuleClient> Owner;

        /// <summary>The client's <see cref="ClientOptions.Logger"/>, removed when the client is closed or finalized.</summary>
        internal ClientLogger Logger;

        /// <summary>Subscribers of <see cref="ModuleClient.BackgroundError"/>.</summary>
        internal event EventHandler<BackgroundErrorEventArgs> BackgroundError
        {
            add { lock (gate) { backgroundError += value; } }
            remove { lock (gate) { backgroundError -= value; } }
        }

        /// <summary>True once a close or dispose began: no handler starts any more.</summary>
        internal bool Closed { get { return closed; } }

        /// <summary>
        /// True while the client's delivery thread runs or waits for user code. Completions of
        /// native async operations run on that thread, so operations started meanwhile use
        /// the blocking native calls on a thread-pool thread instead (else a handler awaiting
        /// its own send would wait forever).
        /// </summary>
        internal bool DeliveryBusy { get { return Volatile.Read(ref deliveryBusy) > 0; } }

        /// <summary>True when the calling code runs inside one of edgemodule's handler invocations.</summary>
        internal static bool InsideHandler { get { return InHandler.Value; } }

        /// <summary>
        /// Raises <see cref="ModuleClient.BackgroundError"/> on the delivery thread (operations
        /// its subscribers start meanwhile take the thread-pool path). Nobody listening: the
        /// core has logged it already (warning), nothing else to do.
        /// </summary>
        internal void RaiseBackgroundError(int kind, int family, string name, string message)
        {
            EventHandler<BackgroundErrorEventArgs> subscribers;
            lock (gate)
            {
                subscribers = backgroundError;
            }
            if (subscribers == null)
            {
                return;
            }
            var args = new BackgroundErrorEventArgs((BackgroundErrorKind)kind,
                Utf8.FromNulTerminated(NativeMethods.edgemodule_background_kind_name(kind)) ?? kind.ToString(),
                (HandlerFamily)family,
                Utf8.FromNulTerminated(NativeMethods.edgemodule_handler_family_name(family)) ?? family.ToString(),
                name, message);
            ModuleClient sender = null;
            WeakReference<ModuleClient> owner = Owner;
            if (owner != null)
            {
                owner.TryGetTarget(out sender);
            }
            EnterDelivery();
            try
            {
                foreach (EventHandler<BackgroundErrorEventArgs> subscriber in subscribers.GetInvocationList())
                {
                    try
                    {
                        AsHandler(() =>
                        {
                            subscriber(sender, args);
                            return 0;
                        });
                    }
                    catch (Exception e)
                    {
                        Callbacks.Report(e, "background error handler");
                    }
                }
            }
            finally
            {
                ExitDelivery();
            }
        }

        internal void BeginClose()
        {
            closed = true;
            EdgeModuleLogging.Remove(Interlocked.Exchange(ref Logger, null));
        }

        internal void EnterDelivery()
        {
            Interlocked.Increment(ref deliveryBusy);
        }

        internal void ExitDelivery()
        {
            Interlocked.Decrement(ref deliveryBusy);
        }

        /// <summary>Runs <paramref name="invoke"/> as handler code (marked for <see cref="InsideHandler"/>).</summary>
        internal static T AsHandler<T>(Func<T> invoke)
        {
            bool before = InHandler.Value;
            InHandler.Value = true;
            try
            {
                return invoke();
            }
            finally
            {
                InHandler.Value = before;
            }
        }

        internal void HandlerStarted()
        {
            lock (gate)
            {
                handlersRunning++;
            }
        }

        internal void HandlerFinished()
        {
            lock (gate)
            {
                handlersRunning--;
                Monitor.PulseAll(gate);
            }
        }

        /// <summary>Waits (bounded) until no handler of this client runs; false on timeout.</summary>
        internal bool WaitForHandlers(TimeSpan timeout)
        {
            DateTime deadline = DateTime.UtcNow + timeout;
            lock (gate)
            {
                while (handlersRunning > 0)
                {
                    TimeSpan left = deadline - DateTime.UtcNow;
                    if (left <= TimeSpan.Zero)
                    {
                        return false;
                    }
                    Monitor.Wait(gate, left);
                }
            }
            return true;
        }
    }
}

// One SafeHandle per native handle type: released exactly once, by Dispose or by the
// finalizer, and never while a P/Invoke call is using it.
using System;
using System.Runtime.InteropServices;
using System.Threading;

namespace EdgeModule.Native
{
    /// <summary>Counts native handles created and released (the leak tests read it).</summary>
    internal static class HandleCounter
    {
        private static long created;
        private static long released;

        internal static long Created { get { return Interlocked.Read(ref created); } }
        internal static long Released { get { return Interlocked.Read(ref released); } }
        internal static long Live { get { return Created - Released; } }

        internal static void OnCreated() { Interlocked.Increment(ref created); }
        internal static void OnReleased() { Interlocked.Increment(ref released); }
    }

    /// <summary>Base of every edgemodule handle: NULL is invalid, counts itself.</summary>
    internal abstract class EdgeHandle : SafeHandle
    {
        protected EdgeHandle() : base(IntPtr.Zero, true) { }

        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }

        /// <summary>Called by the creating code once the native call filled the handle in.</summary>
        internal void Track()
        {
            if (!IsInvalid)
            {
                HandleCounter.OnCreated();
            }
        }

        protected sealed override bool ReleaseHandle()
        {
            try
            {
                Free(handle);
            }
            catch
            {
                // Never let anything escape a release (it may run on the finalizer thread).
            }
            HandleCounter.OnReleased();
            return true;
        }

        protected abstract void Free(IntPtr ptr);
    }

    /// <summary><c>edgemodule_client_t*</c>; release closes and frees the client.</summary>
    internal sealed class ClientHandle : EdgeHandle
    {
        /// <summary>State shared with the callback contexts (they never reference this handle).</summary>
        internal ClientState State;

        public ClientHandle() { }

        protected override void Free(IntPtr ptr)
        {
            ClientState state = State;
            if (state != null)
            {
                state.BeginClose();
            }
            NativeMethods.edgemodule_client_free(ptr);
        }
    }

    /// <summary>An owned <c>edgemodule_message_t*</c> (used only for the duration of a send).</summary>
    internal sealed class MessageHandle : EdgeHandle
    {
        public MessageHandle() { }

        protected override void Free(IntPtr ptr)
        {
            NativeMethods.edgemodule_message_free(ptr);
        }
    }

    /// <summary>
    /// <c>edgemodule_subscription_t*</c>. Holds a reference on its client's handle, because the
    /// subscription must be freed before the client is.
    /// </summary>
    internal sealed class SubscriptionHandle : EdgeHandle
    {
        private ClientHandle owner;

        public SubscriptionHandle() { }

        /// <summary>Keeps <paramref name="client"/> alive until this subscription is released; the caller already AddRef'ed it.</summary>
        internal void SetOwner(ClientHandle client)
        {
            owner = client;
        }

        /// <summary>
        /// Ends the subscription and waits for the hub's answer (UNSUBSCRIBE), consuming the
        /// native handle; returns the result code (CLOSED when it was already ended).
        /// </summary>
        internal int Unsubscribe()
        {
            IntPtr ptr;
            lock (this)
            {
                ptr = handle;
                if (ptr == IntPtr.Zero || IsClosed)
                {
                    return (int)ErrorCode.Closed;
                }
                SetHandle(IntPtr.Zero);
            }
            HandleCounter.OnReleased();
            try
            {
                return NativeMethods.edgemodule_subscription_unsubscribe(ptr);
            }
            finally
            {
                ReleaseOwner();
            }
        }

        private void ReleaseOwner()
        {
            ClientHandle client = Interlocked.Exchange(ref owner, null);
            if (client != null)
            {
                client.DangerousRelease();
            }
        }

        protected override void Free(IntPtr ptr)
        {
            NativeMethods.edgemodule_subscription_free(ptr);
            ReleaseOwner();
        }
    }

    /// <summary>
    /// <c>edgemodule_method_response_t*</c>: answered once with <see cref="Respond"/> or
    /// <see cref="Fail"/>; released unanswered (dropped, finalized) the caller gets the core's
    /// failure reply.
    /// </summary>
    internal sealed class MethodResponseHandle : EdgeHandle
    {
        public MethodResponseHandle() { }

        internal MethodResponseHandle(IntPtr response)
        {
            SetHandle(response);
            Track();
        }

        /// <summary>
        /// Answers the call, taking the native handle over (it is consumed whatever the result);
        /// returns the result code. Called once, by the continuation of the method handler.
        /// </summary>
        internal int Respond(int status, byte[] payloadJson)
        {
            IntPtr ptr = Take();
            if (ptr == IntPtr.Zero)
            {
                return (int)ErrorCode.InvalidArgument; // already answered
            }
            return NativeMethods.edgemodule_method_respond(ptr, status, payloadJson, Utf8.Len(payloadJson));
        }

        /// <summary>
        /// Fails the call: the caller gets the core's failure reply; <paramref name="message"/>
        /// goes to the log and the background error only. Returns the result code.
        /// </summary>
        internal int Fail(string message)
        {
            IntPtr ptr = Take();
            if (ptr == IntPtr.Zero)
            {
                return (int)ErrorCode.InvalidArgument; // already answered
            }
            byte[] text = Utf8.BytesLossy(message);
            return NativeMethods.edgemodule_method_fail(ptr, text, Utf8.Len(text));
        }

        /// <summary>The native pointer, taken over (Dispose/finalize never free it again); zero if already taken.</summary>
        private IntPtr Take()
        {
            lock (this)
            {
                IntPtr ptr = handle;
                if (ptr == IntPtr.Zero || IsClosed)
                {
                    return IntPtr.Zero;
                }
                SetHandle(IntPtr.Zero);
                HandleCounter.OnReleased();
                return ptr;
            }
        }

        protected override void Free(IntPtr ptr)
        {
            NativeMethods.edgemodule_method_response_free(ptr);
        }
    }
}

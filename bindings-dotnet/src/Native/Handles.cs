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

        protected override void Free(IntPtr ptr)
        {
            NativeMethods.edgemodule_subscription_free(ptr);
            ClientHandle client = owner;
            owner = null;
            if (client != null)
            {
                client.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// <c>edgemodule_method_response_t*</c>: answered once with <see cref="Respond"/>; released
    /// unanswered (dropped, finalized) it answers 500.
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
            IntPtr ptr = handle;
            if (ptr == IntPtr.Zero || IsClosed)
            {
                return 1; // INVALID_ARGUMENT: already answered
            }
            // From here on the handle is invalid, so Dispose/finalize never frees it again.
            SetHandle(IntPtr.Zero);
            HandleCounter.OnReleased();
            return NativeMethods.edgemodule_method_respond(ptr, status, payloadJson, Utf8.Len(payloadJson));
        }

        protected override void Free(IntPtr ptr)
        {
            NativeMethods.edgemodule_method_response_free(ptr);
        }
    }
}

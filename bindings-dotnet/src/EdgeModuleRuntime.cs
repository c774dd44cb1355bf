using System;
using System.Threading;
using EdgeModule.Native;

namespace EdgeModule
{
    /// <summary>
    /// The native library as a whole: its version and its process-wide shutdown.
    /// </summary>
    /// <remarks>
    /// edgemodule runs its network code on its own native threads. Managed runtimes must
    /// stop those threads before the process exits (Mono otherwise hangs at exit once a
    /// native thread has called into managed code), so <see cref="Shutdown"/> is hooked to
    /// <see cref="AppDomain.ProcessExit"/> as soon as a client is created. Call it yourself
    /// when you want the threads gone earlier (for example at the end of a test run).
    /// </remarks>
    public static class EdgeModuleRuntime
    {
        private static int hooked;
        private static int shutDown;

        /// <summary>The native library's version, e.g. <c>"0.1.0"</c>.</summary>
        public static string NativeVersion
        {
            get { return Utf8.FromNulTerminated(NativeMethods.edgemodule_version()); }
        }

        /// <summary>True once <see cref="Shutdown"/> ran: every client operation then fails with CLOSED.</summary>
        public static bool IsShutDown { get { return Volatile.Read(ref shutDown) != 0; } }

        /// <summary>
        /// Closes every client still open, stops the native runtime and joins its threads,
        /// within <paramref name="timeout"/>. Idempotent; afterwards no client can be used or
        /// created in this process. Do not call it from a handler. Returns false when some
        /// thread did not stop in time.
        /// </summary>
        public static bool Shutdown(TimeSpan timeout)
        {
            Interlocked.Exchange(ref shutDown, 1);
            double ms = Math.Max(0, Math.Min(timeout.TotalMilliseconds, uint.MaxValue));
            return NativeMethods.edgemodule_shutdown((uint)ms) == NativeMethods.OK;
        }

        /// <summary>Hooks <see cref="Shutdown"/> to process exit (once).</summary>
        internal static void EnsureExitHook()
        {
            if (Interlocked.Exchange(ref hooked, 1) != 0)
            {
                return;
            }
            AppDomain.CurrentDomain.ProcessExit += (sender, args) =>
            {
                try
                {
                    Shutdown(TimeSpan.FromSeconds(5));
                }
                catch
                {
                    // The process is exiting; nothing else to do.
                }
            };
        }

        /// <summary>Fails with CLOSED after <see cref="Shutdown"/>.</summary>
        internal static void CheckNotShutDown()
        {
            if (IsShutDown)
            {
                throw new ClientClosedException("edgemodule was shut down in this process (EdgeModuleRuntime.Shutdown)");
            }
        }
    }
}

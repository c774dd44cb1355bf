// The managed side of one native async operation: a TaskCompletionSource that runs its
// continuations asynchronously (never on edgemodule's delivery thread), optionally
// abandoned early by a CancellationToken.
using System;
using System.Threading;
using System.Threading.Tasks;

namespace EdgeModule.Native
{
    internal abstract class PendingBase
    {
        /// <summary>Completes with the native result code (reads the thread's last error on failure).</summary>
        internal abstract void Finish(int result);

        internal abstract void Fail(Exception error);
    }

    internal sealed class Pending<T> : PendingBase
    {
        private readonly TaskCompletionSource<T> source =
            new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly CancellationTokenRegistration registration;
        private T value;

        internal Pending(CancellationToken cancellationToken)
        {
            if (cancellationToken.CanBeCanceled)
            {
                registration = cancellationToken.Register(
                    state => ((TaskCompletionSource<T>)state).TrySetCanceled(), source);
            }
        }

        internal Task<T> Task { get { return source.Task; } }

        /// <summary>The value <see cref="Finish"/> completes with on success.</summary>
        internal void SetValue(T result)
        {
            value = result;
        }

        internal override void Finish(int result)
        {
            if (result == NativeMethods.OK)
            {
                Succeed(value);
            }
            else
            {
                Fail(EdgeModuleException.Last(result));
            }
        }

        internal void Succeed(T result)
        {
            registration.Dispose();
            source.TrySetResult(result);
        }

        internal override void Fail(Exception error)
        {
            registration.Dispose();
            source.TrySetException(error);
        }
    }
}

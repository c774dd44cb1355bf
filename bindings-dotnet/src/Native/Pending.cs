// The managed side of one native async operation: a TaskCompletionSource, optionally
// abandoned early by a CancellationToken. Its continuations never run on edgemodule's
// delivery thread: the native completion records the outcome there and Completions finishes
// the task on the thread pool.
using System;
using System.Threading;
using System.Threading.Tasks;

namespace EdgeModule.Native
{
    internal abstract class PendingBase
    {
        /// <summary>
        /// On the delivery thread: records the native result code (reading the thread's last
        /// error on failure) and queues the task's completion to the thread pool.
        /// </summary>
        internal abstract void Finish(int result);

        internal abstract void Fail(Exception error);

        /// <summary>Completes the task with the outcome <see cref="Finish"/> recorded (on the thread pool).</summary>
        internal abstract void Complete();
    }

    internal sealed class Pending<T> : PendingBase
    {
        private static readonly WaitCallback CancelLater =
            state => ((TaskCompletionSource<T>)state).TrySetCanceled();

        // Continuations run inline where the task completes: on a Completions drainer, on the
        // thread-pool thread of a blocking fallback, or in the caller when starting failed.
        private readonly TaskCompletionSource<T> source = new TaskCompletionSource<T>();
        private readonly CancellationTokenRegistration registration;
        private T value;
        private Exception error;

        internal Pending(CancellationToken cancellationToken)
        {
            if (cancellationToken.CanBeCanceled)
            {
                // On the thread pool, so that a continuation never runs inside the caller's Cancel().
                registration = cancellationToken.Register(
                    state => ThreadPool.UnsafeQueueUserWorkItem(CancelLater, state), source);
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
            if (result != NativeMethods.OK)
            {
                error = EdgeModuleException.Last(result);
            }
            Completions.Post(this);
        }

        internal override void Complete()
        {
            if (error == null)
            {
                Succeed(value);
            }
            else
            {
                Fail(error);
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

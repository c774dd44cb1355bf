// Runs the continuations of native operations on the thread pool, several per work item.
//
// Every completion used to queue its own thread-pool item (RunContinuationsAsynchronously):
// on Mono that costs a thread request per message (it reads the CPU count through two system
// calls each time) and was a third of a send's CPU. Here the delivery thread records the
// outcome and queues the operation; a drainer on the thread pool completes queued operations
// one after another, their continuations running inline on it.
//
// A continuation may block (e.g. Wait() on another operation). So that this never starves the
// others: whenever a drainer takes an operation while more are queued, and no other drainer is
// waiting to start, it queues one; and a new completion queues a drainer if none is waiting.
// A blocked drainer therefore always leaves a live one behind it.
using System.Collections.Generic;
using System.Threading;

namespace EdgeModule.Native
{
    internal static class Completions
    {
        private static readonly object Gate = new object();
        private static readonly Queue<PendingBase> Ready = new Queue<PendingBase>();
        private static readonly WaitCallback DrainCallback = Drain;
        // A drainer was queued to the thread pool and has not started yet.
        private static bool drainerWaiting;

        /// <summary>Queues <paramref name="pending"/>, whose outcome is recorded, to be completed on the thread pool.</summary>
        internal static void Post(PendingBase pending)
        {
            bool start;
            lock (Gate)
            {
                Ready.Enqueue(pending);
                start = !drainerWaiting;
                drainerWaiting = true;
            }
            if (start)
            {
                ThreadPool.UnsafeQueueUserWorkItem(DrainCallback, null);
            }
        }

        private static void Drain(object unused)
        {
            lock (Gate)
            {
                drainerWaiting = false;
            }
            while (true)
            {
                PendingBase next;
                bool helper = false;
                lock (Gate)
                {
                    if (Ready.Count == 0)
                    {
                        return;
                    }
                    next = Ready.Dequeue();
                    if (Ready.Count > 0 && !drainerWaiting)
                    {
                        drainerWaiting = true;
                        helper = true;
                    }
                }
                if (helper)
                {
                    ThreadPool.UnsafeQueueUserWorkItem(DrainCallback, null);
                }
                next.Complete();
            }
        }
    }
}

using System;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using EdgeModule.Native;

namespace EdgeModule
{
    /// <summary>A subscription to a user topic filter; dispose it to stop delivery.</summary>
    public sealed class TopicSubscription : IDisposable
    {
        private readonly SubscriptionHandle handle;
        private readonly ModuleClient owner;

        internal TopicSubscription(string topicFilter, SubscriptionHandle handle, ModuleClient owner)
        {
            TopicFilter = topicFilter;
            this.handle = handle;
            this.owner = owner;
        }

        /// <summary>The filter subscribed to.</summary>
        public string TopicFilter { get; private set; }

        /// <summary>
        /// Ends the subscription: no handler call starts any more, the client sends UNSUBSCRIBE
        /// (unless another subscription uses the same filter) and the task completes on the
        /// hub's answer (a running handler call is waited for up to 5 s, unless this is called
        /// from one). Afterwards this object is disposed.
        /// </summary>
        public Task UnsubscribeAsync()
        {
            owner.Forget(this);
            return Task.Run(() =>
            {
                int rc = handle.Unsubscribe();
                if (rc != 0 && rc != (int)ErrorCode.Closed)
                {
                    throw EdgeModuleException.Last(rc);
                }
            });
        }

        /// <summary>
        /// Ends the subscription without waiting for the hub (UNSUBSCRIBE is sent in the
        /// background) and frees it; waits up to 5 s for a running handler call to return,
        /// unless called from one. Idempotent.
        /// </summary>
        public void Dispose()
        {
            handle.Dispose();
            owner.Forget(this);
        }
    }

    public sealed partial class ModuleClient
    {
        /// <summary>
        /// Publishes <paramref name="payload"/> to user topic <paramref name="topic"/> (as the
        /// hub's broker policy allows; not a <c>$iothub/</c>, <c>devices/</c> or <c>$</c> topic).
        /// With <see cref="QualityOfService.AtLeastOnce"/> it completes on the hub's acknowledgement.
        /// </summary>
        public Task PublishAsync(string topic, byte[] payload, QualityOfService qos = QualityOfService.AtLeastOnce)
        {
            return PublishAsync(topic, payload, qos, CancellationToken.None);
        }

        /// <summary>Same as <see cref="PublishAsync(string, byte[], QualityOfService)"/>, with a cancellation token.</summary>
        public Task PublishAsync(string topic, byte[] payload, QualityOfService qos, CancellationToken cancellationToken)
        {
            if (topic == null)
            {
                throw new ArgumentNullException("topic");
            }
            byte[] name = Utf8.Bytes(topic);
            byte[] body = payload ?? new byte[0];
            return Operation<object>(cancellationToken,
                h =>
                {
                    EdgeModuleException.Check(NativeMethods.edgemodule_client_publish(h, name, Utf8.Len(name), body,
                        Utf8.Len(body), (int)qos));
                    return null;
                },
                (h, ctx) => NativeMethods.edgemodule_client_publish_async(h, name, Utf8.Len(name), body, Utf8.Len(body),
                    (int)qos, Callbacks.Done, ctx, Callbacks.OperationContextFree));
        }

        /// <summary>
        /// Subscribes to user topic filter <paramref name="topicFilter"/> (QoS 1; <c>+</c> and
        /// <c>#</c> allowed) and completes once the hub accepted it
        /// (<see cref="UnauthorizedException"/> if its policy refuses). The handler then runs for
        /// every matching message, one at a time, in order, until the subscription ends; a
        /// message is acknowledged once the handler's task succeeded (at-least-once, as input
        /// messages, with the same retries). Every reconnect subscribes again.
        /// </summary>
        public Task<TopicSubscription> SubscribeAsync(string topicFilter, TopicMessageHandler handler, object userContext)
        {
            return SubscribeAsync(topicFilter, handler, userContext, CancellationToken.None);
        }

        /// <summary>Same as <see cref="SubscribeAsync(string, TopicMessageHandler, object)"/>, with a cancellation token.</summary>
        public Task<TopicSubscription> SubscribeAsync(string topicFilter, TopicMessageHandler handler, object userContext,
            CancellationToken cancellationToken)
        {
            if (topicFilter == null)
            {
                throw new ArgumentNullException("topicFilter");
            }
            if (handler == null)
            {
                throw new ArgumentNullException("handler");
            }
            byte[] filter = Utf8.Bytes(topicFilter);
            var registration = new TopicRegistration(handler, userContext, state);
            // Subscribing waits for the hub's answer: a blocking native call, on the thread pool.
            return Operation<TopicSubscription>(cancellationToken, h => Subscribe(h, topicFilter, filter, registration), null);
        }

        internal void Forget(TopicSubscription subscription)
        {
            lock (gate)
            {
                subscriptions.Remove(subscription);
            }
        }

        private TopicSubscription Subscribe(ClientHandle h, string topicFilter, byte[] filter, TopicRegistration registration)
        {
            bool added = false;
            h.DangerousAddRef(ref added);
            SubscriptionHandle native = null;
            try
            {
                IntPtr ctx = Callbacks.Root(registration);
                int rc;
                try
                {
                    rc = NativeMethods.edgemodule_client_subscribe(h, filter, Utf8.Len(filter), Callbacks.Topic, ctx,
                        Callbacks.ContextFree, out native);
                }
                catch
                {
                    GCHandle.FromIntPtr(ctx).Free();
                    throw;
                }
                EdgeModuleException.Check(rc);
                native.Track();
                native.SetOwner(h);
                added = false; // the subscription releases the reference now
                var subscription = new TopicSubscription(topicFilter, native, this);
                lock (gate)
                {
                    if (Volatile.Read(ref disposed) == 0)
                    {
                        subscriptions.Add(subscription);
                        return subscription;
                    }
                }
                subscription.Dispose();
                throw new ObjectDisposedException("ModuleClient");
            }
            finally
            {
                if (added)
                {
                    h.DangerousRelease();
                }
            }
        }
    }
}

using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using EdgeModule.Native;

namespace EdgeModule
{
    public sealed partial class ModuleClient
    {
        // ---- sending ----------------------------------------------------------------------

        /// <summary>
        /// Sends <paramref name="message"/> to output <paramref name="outputName"/> (routed by the
        /// hub); completes on the hub's acknowledgement. <see cref="MessageTooLargeException"/>
        /// (nothing sent) above 256 KiB.
        /// </summary>
        public Task SendEventAsync(string outputName, Message message)
        {
            return SendEventAsync(outputName, message, CancellationToken.None);
        }

        /// <summary>Same as <see cref="SendEventAsync(string, Message)"/>, with a cancellation token.</summary>
        public Task SendEventAsync(string outputName, Message message, CancellationToken cancellationToken)
        {
            if (outputName == null)
            {
                throw new ArgumentNullException("outputName");
            }
            if (message == null)
            {
                throw new ArgumentNullException("message");
            }
            return Send(Utf8.Bytes(outputName), message, cancellationToken);
        }

        /// <summary>Sends <paramref name="message"/> as module telemetry (no output name).</summary>
        public Task SendEventAsync(Message message)
        {
            return SendEventAsync(message, CancellationToken.None);
        }

        /// <summary>Same as <see cref="SendEventAsync(Message)"/>, with a cancellation token.</summary>
        public Task SendEventAsync(Message message, CancellationToken cancellationToken)
        {
            if (message == null)
            {
                throw new ArgumentNullException("message");
            }
            return Send(null, message, cancellationToken);
        }

        /// <summary>
        /// Sends <paramref name="messages"/> to <paramref name="outputName"/>, pipelined; completes
        /// once the hub acknowledged all of them (else fails with the first error; earlier
        /// messages may have been delivered). Every message is checked before any is sent.
        /// </summary>
        public Task SendEventBatchAsync(string outputName, IEnumerable<Message> messages)
        {
            return SendEventBatchAsync(outputName, messages, CancellationToken.None);
        }

        /// <summary>Same as <see cref="SendEventBatchAsync(string, IEnumerable{Message})"/>, with a cancellation token.</summary>
        public Task SendEventBatchAsync(string outputName, IEnumerable<Message> messages, CancellationToken cancellationToken)
        {
            if (outputName == null)
            {
                throw new ArgumentNullException("outputName");
            }
            if (messages == null)
            {
                throw new ArgumentNullException("messages");
            }
            List<Message> list = messages.ToList();
            if (list.Any(m => m == null))
            {
                throw new ArgumentException("a message is null", "messages");
            }
            byte[] output = Utf8.Bytes(outputName);
            if (list.TrueForAll(m => m.IsBodyOnly) && !state.DeliveryBusy)
            {
                long joined = JoinedLength(list);
                if (joined <= JoinedBodiesMax)
                {
                    return SendBodies(output, list, joined, cancellationToken);
                }
            }
            List<MessageHandle> handles;
            try
            {
                handles = ToNativeAll(list);
            }
            catch (Exception e)
            {
                return Task.FromException(e);
            }
            IntPtr[] pointers = handles.Select(x => x.DangerousGetHandle()).ToArray();
            return Operation<object>(cancellationToken,
                h => SendBatchNow(h, output, pointers),
                (h, ctx) => NativeMethods.edgemodule_client_send_output_batch_async(h, output, Utf8.Len(output),
                    pointers, new UIntPtr((uint)pointers.Length), Callbacks.Done, ctx, Callbacks.OperationContextFree),
                () => DisposeAll(handles));
        }

        /// <summary>Sends every message as module telemetry; completes once all were acknowledged.</summary>
        public Task SendEventBatchAsync(IEnumerable<Message> messages)
        {
            return SendEventBatchAsync(messages, CancellationToken.None);
        }

        /// <summary>Same as <see cref="SendEventBatchAsync(IEnumerable{Message})"/>, with a cancellation token.</summary>
        public Task SendEventBatchAsync(IEnumerable<Message> messages, CancellationToken cancellationToken)
        {
            if (messages == null)
            {
                throw new ArgumentNullException("messages");
            }
            return Task.WhenAll(messages.Select(m => SendEventAsync(m, cancellationToken)).ToArray());
        }

        /// <summary>
        /// Sends <paramref name="message"/> to <paramref name="output"/> (null: as telemetry). A
        /// message with only a body goes to native code as its bytes in one call (three native
        /// calls and a SafeHandle fewer per send); any other, or one sent while a handler runs,
        /// as a native copy.
        /// </summary>
        private Task Send(byte[] output, Message message, CancellationToken cancellationToken)
        {
            if (message.IsBodyOnly && !state.DeliveryBusy)
            {
                byte[] body = message.Body;
                return Operation<object>(cancellationToken,
                    // Only if a handler started meanwhile: the native copy, from the same bytes.
                    h => SendNow(h, output, new Message(body)),
                    (h, ctx) => NativeMethods.edgemodule_client_send_body_async(h, output, Utf8.Len(output), body,
                        Utf8.Len(body), Callbacks.Done, ctx, Callbacks.OperationContextFree));
            }
            return WithNativeMessage(message, native => Operation<object>(cancellationToken,
                h => SendNow(h, output, native),
                (h, ctx) => output == null
                    ? NativeMethods.edgemodule_client_send_event_async(h, native, Callbacks.Done, ctx,
                        Callbacks.OperationContextFree)
                    : NativeMethods.edgemodule_client_send_output_async(h, output, Utf8.Len(output), native,
                        Callbacks.Done, ctx, Callbacks.OperationContextFree),
                native.Dispose));
        }

        /// <summary>The blocking send of a native copy, to <paramref name="output"/> (null: telemetry).</summary>
        private static object SendNow(ClientHandle h, byte[] output, MessageHandle native)
        {
            EdgeModuleException.Check(output == null
                ? NativeMethods.edgemodule_client_send_event(h, native)
                : NativeMethods.edgemodule_client_send_output(h, output, Utf8.Len(output), native));
            return null;
        }

        /// <summary>The blocking send of <paramref name="message"/> (its native copy freed after).</summary>
        private static object SendNow(ClientHandle h, byte[] output, Message message)
        {
            using (MessageHandle native = message.ToNative())
            {
                return SendNow(h, output, native);
            }
        }

        /// <summary>
        /// Runs <paramref name="start"/> with a native copy of <paramref name="message"/>; the
        /// copy is freed through the release action <see cref="Operation{T}"/> runs.
        /// </summary>
        private static Task WithNativeMessage(Message message, Func<MessageHandle, Task> start)
        {
            MessageHandle native;
            try
            {
                native = message.ToNative();
            }
            catch (Exception e)
            {
                return Task.FromException(e);
            }
            return start(native);
        }

        /// <summary>
        /// The largest batch (bytes of body) sent as one joined array: above it, copying into a
        /// large fresh array costs more than the native calls it saves (measured at 500 x 16 KiB).
        /// </summary>
        private const long JoinedBodiesMax = 256 * 1024;

        private static long JoinedLength(List<Message> list)
        {
            long total = 0;
            foreach (Message m in list)
            {
                total += m.Body.Length;
            }
            return total;
        }

        /// <summary>
        /// A batch of messages with only a body: the bodies go to native code one after another
        /// in one array, with their lengths, in one call (no native message or SafeHandle per
        /// message). If a handler started meanwhile, the blocking send of native copies.
        /// </summary>
        private Task SendBodies(byte[] output, List<Message> list, long joined, CancellationToken cancellationToken)
        {
            byte[] bodies = new byte[joined];
            UIntPtr[] lengths = new UIntPtr[list.Count];
            int at = 0;
            for (int i = 0; i < list.Count; i++)
            {
                byte[] body = list[i].Body;
                Buffer.BlockCopy(body, 0, bodies, at, body.Length);
                lengths[i] = new UIntPtr((uint)body.Length);
                at += body.Length;
            }
            return Operation<object>(cancellationToken,
                h =>
                {
                    List<MessageHandle> handles = ToNativeAll(list);
                    try
                    {
                        return SendBatchNow(h, output, handles.Select(x => x.DangerousGetHandle()).ToArray());
                    }
                    finally
                    {
                        DisposeAll(handles);
                    }
                },
                (h, ctx) => NativeMethods.edgemodule_client_send_output_bodies_async(h, output, Utf8.Len(output),
                    bodies, lengths, new UIntPtr((uint)list.Count), Callbacks.Done, ctx,
                    Callbacks.OperationContextFree));
        }

        /// <summary>Native copies of every message; none is left behind if one fails.</summary>
        private static List<MessageHandle> ToNativeAll(List<Message> list)
        {
            var handles = new List<MessageHandle>(list.Count);
            try
            {
                foreach (Message m in list)
                {
                    handles.Add(m.ToNative());
                }
                return handles;
            }
            catch
            {
                DisposeAll(handles);
                throw;
            }
        }

        /// <summary>The blocking batch send of native messages.</summary>
        private static object SendBatchNow(ClientHandle h, byte[] output, IntPtr[] pointers)
        {
            EdgeModuleException.Check(NativeMethods.edgemodule_client_send_output_batch(
                h, output, Utf8.Len(output), pointers, new UIntPtr((uint)pointers.Length)));
            return null;
        }

        private static void DisposeAll(List<MessageHandle> handles)
        {
            foreach (MessageHandle h in handles)
            {
                h.Dispose();
            }
        }

        // ---- receiving ----------------------------------------------------------------------

        /// <summary>
        /// Handles messages arriving on input <paramref name="inputName"/> (replacing an earlier
        /// handler for it; <c>null</c> removes it, and its messages go to the default handler).
        /// One message at a time, in arrival order; it is acknowledged once the handler's task
        /// completed with <see cref="MessageResponse.Completed"/>, and anything else is a
        /// failure the core retries (see <see cref="ModuleClient"/>). Register before
        /// <see cref="OpenAsync()"/>, or open again to wait for the new subscription.
        /// </summary>
        public Task SetInputMessageHandlerAsync(string inputName, MessageHandler messageHandler, object userContext)
        {
            return SetInputMessageHandlerAsync(inputName, messageHandler, userContext, CancellationToken.None);
        }

        /// <summary>Same as <see cref="SetInputMessageHandlerAsync(string, MessageHandler, object)"/>, with a cancellation token.</summary>
        public Task SetInputMessageHandlerAsync(string inputName, MessageHandler messageHandler, object userContext,
            CancellationToken cancellationToken)
        {
            if (inputName == null)
            {
                throw new ArgumentNullException("inputName");
            }
            byte[] input = Utf8.Bytes(inputName);
            if (messageHandler == null)
            {
                return Register(cancellationToken, h => NativeMethods.edgemodule_client_set_input_callback(
                    h, input, Utf8.Len(input), null, IntPtr.Zero, null), null);
            }
            IntPtr ctx = Callbacks.Root(new InputRegistration(messageHandler, userContext, state));
            return Register(cancellationToken, h => NativeMethods.edgemodule_client_set_input_callback(
                h, input, Utf8.Len(input), Callbacks.Input, ctx, Callbacks.ContextFree), () => GCHandle.FromIntPtr(ctx).Free());
        }

        /// <summary>
        /// Handles messages of every input without its own handler (replacing an earlier default
        /// handler; <c>null</c> removes it: messages for inputs without a handler are then
        /// acknowledged, dropped and reported as <see cref="BackgroundErrorKind.NoHandler"/>).
        /// </summary>
        public Task SetMessageHandlerAsync(MessageHandler messageHandler, object userContext)
        {
            return SetMessageHandlerAsync(messageHandler, userContext, CancellationToken.None);
        }

        /// <summary>Same as <see cref="SetMessageHandlerAsync(MessageHandler, object)"/>, with a cancellation token.</summary>
        public Task SetMessageHandlerAsync(MessageHandler messageHandler, object userContext, CancellationToken cancellationToken)
        {
            if (messageHandler == null)
            {
                return Register(cancellationToken, h => NativeMethods.edgemodule_client_set_default_input_callback(
                    h, null, IntPtr.Zero, null), null);
            }
            IntPtr ctx = Callbacks.Root(new InputRegistration(messageHandler, userContext, state));
            return Register(cancellationToken, h => NativeMethods.edgemodule_client_set_default_input_callback(
                h, Callbacks.Input, ctx, Callbacks.ContextFree), () => GCHandle.FromIntPtr(ctx).Free());
        }
    }
}

using System;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using EdgeModule.Native;

namespace EdgeModule
{
    public sealed partial class ModuleClient
    {
        /// <summary>
        /// Handles calls of direct method <paramref name="methodName"/> (replacing an earlier
        /// handler; <c>null</c> removes it, and its calls go to the default handler). The call
        /// is answered with the returned <see cref="MethodResponse"/>; a handler that throws
        /// (or returns null) gets the core's failure reply (500) and raises
        /// <see cref="BackgroundError"/>. One call at a time per handler.
        /// </summary>
        public Task SetMethodHandlerAsync(string methodName, MethodCallback methodHandler, object userContext)
        {
            return SetMethodHandlerAsync(methodName, methodHandler, userContext, CancellationToken.None);
        }

        /// <summary>Same as <see cref="SetMethodHandlerAsync(string, MethodCallback, object)"/>, with a cancellation token.</summary>
        public Task SetMethodHandlerAsync(string methodName, MethodCallback methodHandler, object userContext,
            CancellationToken cancellationToken)
        {
            if (methodName == null)
            {
                throw new ArgumentNullException("methodName");
            }
            byte[] name = Utf8.Bytes(methodName);
            if (methodHandler == null)
            {
                return Register(cancellationToken, h => NativeMethods.edgemodule_client_set_method_callback(
                    h, name, Utf8.Len(name), null, IntPtr.Zero, null), null);
            }
            IntPtr ctx = Callbacks.Root(new MethodRegistration(methodHandler, userContext, state));
            return Register(cancellationToken, h => NativeMethods.edgemodule_client_set_method_callback(
                h, name, Utf8.Len(name), Callbacks.Method, ctx, Callbacks.ContextFree), () => GCHandle.FromIntPtr(ctx).Free());
        }

        /// <summary>
        /// Handles calls of every method without its own handler (<c>null</c> removes it; calls
        /// of methods without a handler are then answered 501 and reported as
        /// <see cref="BackgroundErrorKind.NoHandler"/>).
        /// </summary>
        public Task SetMethodDefaultHandlerAsync(MethodCallback methodHandler, object userContext)
        {
            return SetMethodDefaultHandlerAsync(methodHandler, userContext, CancellationToken.None);
        }

        /// <summary>Same as <see cref="SetMethodDefaultHandlerAsync(MethodCallback, object)"/>, with a cancellation token.</summary>
        public Task SetMethodDefaultHandlerAsync(MethodCallback methodHandler, object userContext,
            CancellationToken cancellationToken)
        {
            if (methodHandler == null)
            {
                return Register(cancellationToken, h => NativeMethods.edgemodule_client_set_default_method_callback(
                    h, null, IntPtr.Zero, null), null);
            }
            IntPtr ctx = Callbacks.Root(new MethodRegistration(methodHandler, userContext, state));
            return Register(cancellationToken, h => NativeMethods.edgemodule_client_set_default_method_callback(
                h, Callbacks.Method, ctx, Callbacks.ContextFree), () => GCHandle.FromIntPtr(ctx).Free());
        }

        /// <summary>
        /// Calls a direct method on another module of a device, through the gateway. The
        /// target's status comes back in <see cref="MethodResponse.Status"/> (a handler's 4xx/5xx
        /// is not an exception); <see cref="NotFoundException"/> when the target is not
        /// connected, <see cref="EdgeTimeoutException"/> when it did not answer in time.
        /// </summary>
        public Task<MethodResponse> InvokeMethodAsync(string deviceId, string moduleId, MethodRequest methodRequest)
        {
            return InvokeMethodAsync(deviceId, moduleId, methodRequest, CancellationToken.None);
        }

        /// <summary>Same as <see cref="InvokeMethodAsync(string, string, MethodRequest)"/>, with a cancellation token.</summary>
        public Task<MethodResponse> InvokeMethodAsync(string deviceId, string moduleId, MethodRequest methodRequest,
            CancellationToken cancellationToken)
        {
            if (moduleId == null)
            {
                throw new ArgumentNullException("moduleId");
            }
            return Invoke(deviceId, moduleId, methodRequest, cancellationToken);
        }

        /// <summary>Calls a direct method on a device itself (not one of its modules).</summary>
        public Task<MethodResponse> InvokeMethodAsync(string deviceId, MethodRequest methodRequest)
        {
            return InvokeMethodAsync(deviceId, methodRequest, CancellationToken.None);
        }

        /// <summary>Same as <see cref="InvokeMethodAsync(string, MethodRequest)"/>, with a cancellation token.</summary>
        public Task<MethodResponse> InvokeMethodAsync(string deviceId, MethodRequest methodRequest,
            CancellationToken cancellationToken)
        {
            return Invoke(deviceId, null, methodRequest, cancellationToken);
        }

        /// <summary>A timeout as the C ABI's uint milliseconds (null: 0, unset).</summary>
        private static uint WholeMilliseconds(TimeSpan? value, string name)
        {
            if (!value.HasValue)
            {
                return 0;
            }
            double ms = Math.Ceiling(value.Value.TotalMilliseconds);
            if (ms < 0 || ms > uint.MaxValue)
            {
                throw new ArgumentOutOfRangeException(name, value, "not representable as the C ABI's 32-bit milliseconds");
            }
            return (uint)ms;
        }

        private Task<MethodResponse> Invoke(string targetDevice, string targetModule, MethodRequest request,
            CancellationToken cancellationToken)
        {
            if (targetDevice == null)
            {
                throw new ArgumentNullException("deviceId");
            }
            if (request == null)
            {
                throw new ArgumentNullException("methodRequest");
            }
            byte[] device = Utf8.Bytes(targetDevice);
            byte[] module = Utf8.Bytes(targetModule);
            byte[] method = Utf8.Bytes(request.Name);
            byte[] payload = request.Data.Length == 0 ? null : request.Data;
            // Only the representation is converted (whole ms; 0 = the default, which the core
            // applies); the core checks the range.
            uint responseMs = WholeMilliseconds(request.ResponseTimeout, "ResponseTimeout");
            uint connectMs = WholeMilliseconds(request.ConnectionTimeout, "ConnectionTimeout");
            return Operation<MethodResponse>(cancellationToken,
                h =>
                {
                    int status;
                    IntPtr json;
                    UIntPtr len;
                    EdgeModuleException.Check(NativeMethods.edgemodule_client_invoke_method(h, device, Utf8.Len(device),
                        module, Utf8.Len(module), method, Utf8.Len(method), payload, Utf8.Len(payload), responseMs,
                        connectMs, out status, out json, out len));
                    try
                    {
                        return new MethodResponse(json == IntPtr.Zero ? null : Utf8.Copy(json, len), status);
                    }
                    finally
                    {
                        NativeMethods.edgemodule_string_free(json);
                    }
                },
                (h, ctx) => NativeMethods.edgemodule_client_invoke_method_async(h, device, Utf8.Len(device), module,
                    Utf8.Len(module), method, Utf8.Len(method), payload, Utf8.Len(payload), responseMs, connectMs,
                    Callbacks.InvokeDone, ctx, Callbacks.OperationContextFree));
        }
    }
}

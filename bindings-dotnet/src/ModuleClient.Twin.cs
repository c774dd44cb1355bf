using System;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using EdgeModule.Native;

namespace EdgeModule
{
    public sealed partial class ModuleClient
    {
        /// <summary>Reads the module twin (desired and reported properties, each with its <c>$version</c>).</summary>
        public Task<Twin> GetTwinAsync()
        {
            return GetTwinAsync(CancellationToken.None);
        }

        /// <summary>Same as <see cref="GetTwinAsync()"/>, with a cancellation token.</summary>
        public async Task<Twin> GetTwinAsync(CancellationToken cancellationToken)
        {
            string json = await Operation<string>(cancellationToken,
                h =>
                {
                    IntPtr text;
                    UIntPtr len;
                    EdgeModuleException.Check(NativeMethods.edgemodule_client_get_twin(h, out text, out len));
                    try
                    {
                        return Utf8.String(text, len);
                    }
                    finally
                    {
                        NativeMethods.edgemodule_string_free(text);
                    }
                },
                (h, ctx) => NativeMethods.edgemodule_client_get_twin_async(h, Callbacks.TwinDone, ctx, Callbacks.OperationContextFree))
                .ConfigureAwait(false);
            return Twin.FromJson(deviceId, moduleId, json);
        }

        /// <summary>
        /// Merges <paramref name="reportedProperties"/> into the reported properties (a member set
        /// to <c>null</c> is removed); completes once the hub applied it.
        /// </summary>
        public Task UpdateReportedPropertiesAsync(TwinCollection reportedProperties)
        {
            return UpdateReportedPropertiesAsync(reportedProperties, CancellationToken.None);
        }

        /// <summary>Same as <see cref="UpdateReportedPropertiesAsync(TwinCollection)"/>, with a cancellation token.</summary>
        public Task UpdateReportedPropertiesAsync(TwinCollection reportedProperties, CancellationToken cancellationToken)
        {
            if (reportedProperties == null)
            {
                throw new ArgumentNullException("reportedProperties");
            }
            byte[] patch = Utf8.Bytes(reportedProperties.ToPatchJson());
            return Operation<object>(cancellationToken,
                h =>
                {
                    EdgeModuleException.Check(NativeMethods.edgemodule_client_patch_reported(h, patch, Utf8.Len(patch)));
                    return null;
                },
                (h, ctx) => NativeMethods.edgemodule_client_patch_reported_async(h, patch, Utf8.Len(patch),
                    Callbacks.Done, ctx, Callbacks.OperationContextFree));
        }

        /// <summary>
        /// Handles desired-property patches pushed by the operator (replacing an earlier
        /// handler; <c>null</c> removes it). Patches arrive in order, one at a time (a failed
        /// task is retried as input messages are); after a reconnect a patch may hold the whole
        /// desired section (<see cref="TwinCollection.IsFullDesired"/>).
        /// </summary>
        public Task SetDesiredPropertyUpdateCallbackAsync(DesiredPropertyUpdateCallback callback, object userContext)
        {
            return SetDesiredPropertyUpdateCallbackAsync(callback, userContext, CancellationToken.None);
        }

        /// <summary>Same as <see cref="SetDesiredPropertyUpdateCallbackAsync(DesiredPropertyUpdateCallback, object)"/>, with a cancellation token.</summary>
        public Task SetDesiredPropertyUpdateCallbackAsync(DesiredPropertyUpdateCallback callback, object userContext,
            CancellationToken cancellationToken)
        {
            if (callback == null)
            {
                return Register(cancellationToken, h => NativeMethods.edgemodule_client_set_desired_callback(
                    h, null, IntPtr.Zero, null), null);
            }
            IntPtr ctx = Callbacks.Root(new DesiredRegistration(callback, userContext, state));
            return Register(cancellationToken, h => NativeMethods.edgemodule_client_set_desired_callback(
                h, Callbacks.Desired, ctx, Callbacks.ContextFree), () => GCHandle.FromIntPtr(ctx).Free());
        }

        /// <summary>
        /// Handles connection status changes (replacing an earlier handler; <c>null</c> removes
        /// it). Runs on the delivery thread, in order; keep it short. The change caused by
        /// closing the client is not delivered.
        /// </summary>
        public void SetConnectionStatusChangesHandler(ConnectionStatusChangesHandler statusChangesHandler)
        {
            if (statusChangesHandler == null)
            {
                EdgeModuleException.Check(NativeMethods.edgemodule_client_set_status_callback(Handle, null, IntPtr.Zero, null));
                return;
            }
            IntPtr ctx = Callbacks.Root(new StatusRegistration(statusChangesHandler, state));
            int rc;
            try
            {
                rc = NativeMethods.edgemodule_client_set_status_callback(Handle, Callbacks.Status, ctx, Callbacks.ContextFree);
            }
            catch
            {
                GCHandle.FromIntPtr(ctx).Free();
                throw;
            }
            EdgeModuleException.Check(rc);
        }
    }
}

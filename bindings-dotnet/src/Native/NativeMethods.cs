// P/Invoke declarations of libedgemodule (bindings-c/include/edgemodule.h). Every type is
// fixed-width: int32_t -> int, uint32_t -> uint, uint16_t -> ushort, size_t -> UIntPtr,
// pointers -> IntPtr or a SafeHandle. Strings go in as UTF-8 byte arrays plus a length.
using System;
using System.Runtime.InteropServices;

namespace EdgeModule.Native
{
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate void DoneCallback(IntPtr ctx, int result);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate void ContextFreeCallback(IntPtr ctx);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate int InputCallback(IntPtr ctx, IntPtr message, IntPtr call);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate void InvokeCallback(IntPtr ctx, int result, int status, IntPtr payloadJson, UIntPtr payloadJsonLen);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate void MethodCallbackNative(IntPtr ctx, IntPtr methodName, UIntPtr methodNameLen,
        IntPtr payloadJson, UIntPtr payloadJsonLen, IntPtr response);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate void StatusCallback(IntPtr ctx, int state, int reason);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate int TopicCallback(IntPtr ctx, IntPtr topic, UIntPtr topicLen, IntPtr payload, UIntPtr payloadLen,
        IntPtr call);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate void TwinCallback(IntPtr ctx, int result, IntPtr twinJson, UIntPtr twinJsonLen);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate int DesiredCallback(IntPtr ctx, IntPtr patchJson, UIntPtr patchJsonLen, long version, int full,
        IntPtr call);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate void BackgroundErrorCallback(IntPtr ctx, int kind, int family, IntPtr name, UIntPtr nameLen,
        IntPtr message, UIntPtr messageLen);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate void LogCallback(IntPtr ctx, int level, IntPtr target, UIntPtr targetLen, IntPtr area,
        UIntPtr areaLen, IntPtr message, UIntPtr messageLen, IntPtr fields, UIntPtr fieldsLen);

    /// <summary>Mirror of <c>edgemodule_options_t</c> (checked against the C layout by the tests).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct NativeOptions
    {
        public UIntPtr StructSize;
        public IntPtr ConnectionString;
        public UIntPtr ConnectionStringLen;
        public IntPtr TrustBundlePem;
        public UIntPtr TrustBundlePemLen;
        public IntPtr ProductInfo;
        public UIntPtr ProductInfoLen;
        public IntPtr ModelId;
        public UIntPtr ModelIdLen;
        public ushort MqttPort;
        public ushort HttpsPort;
        public uint MaxInflight;
        public uint OperationTimeoutMs;
        public uint KeepAliveS;
        public uint SasTtlS;
        public uint RedeliveryDelayMs;
        public uint RetryInitialDelayMs;
        public uint RetryMaxDelayMs;
        public uint RetryGiveUpAfterMs;
        public IntPtr OptionsJson;
        public UIntPtr OptionsJsonLen;
    }

    internal static class NativeMethods
    {
        internal const string Library = "edgemodule";

        internal const int OK = 0;

        /// <summary>EDGEMODULE_PENDING: a handler callback keeps its call and completes it later.</summary>
        internal const int Pending = -1;

        /// <summary>
        /// The outcome .NET reports for a handler that failed with something other than an
        /// <see cref="EdgeModuleException"/> (any value but OK and PENDING means failed; this one
        /// is no error code, so the core's message shows the exception's own text).
        /// </summary>
        internal const int HandlerFailed = -2;

        internal const int PropertyMessageId = 0;
        internal const int PropertyCorrelationId = 1;
        internal const int PropertyUserId = 2;
        internal const int PropertyContentType = 3;
        internal const int PropertyContentEncoding = 4;
        internal const int PropertyCreationTime = 5;
        internal const int PropertyExpiryTime = 6;
        internal const int PropertyMessageSchema = 7;
        internal const int PropertyComponentName = 8;
        internal const int PropertyInterfaceId = 9;
        internal const int PropertyTo = 10;
        internal const int PropertyAck = 11;
        internal const int PropertyOperation = 12;
        internal const int PropertyInputName = 13;
        internal const int PropertyOutputName = 14;
        internal const int PropertyConnectionDeviceId = 15;
        internal const int PropertyConnectionModuleId = 16;

        // ---- library ----------------------------------------------------------------
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr edgemodule_version();

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int edgemodule_shutdown(uint timeoutMs);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern UIntPtr edgemodule_last_error_message(byte[] buf, UIntPtr len);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int edgemodule_last_error_code();

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr edgemodule_error_name(int code);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr edgemodule_error_description(int code);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int edgemodule_error_is_transient(int code);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr edgemodule_state_name(int state);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr edgemodule_reason_name(int reason);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr edgemodule_reason_description(int reason);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void edgemodule_string_free(IntPtr text);

        // ---- logging ----------------------------------------------------------------
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int edgemodule_set_log_callback(int maxLevel, LogCallback cb, IntPtr ctx,
            ContextFreeCallback ctxFree);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int edgemodule_set_log_level(int maxLevel);

        // ---- handler calls and background errors ----------------------------------------
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int edgemodule_handler_call_complete(IntPtr call, int result, byte[] errorMessage,
            UIntPtr errorMessageLen);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int edgemodule_client_set_background_error_callback(ClientHandle client,
            BackgroundErrorCallback cb, IntPtr ctx, ContextFreeCallback ctxFree);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr edgemodule_background_kind_name(int kind);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr edgemodule_handler_family_name(int family);

        // ---- client lifecycle -------------------------------------------------------
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void edgemodule_options_init(ref NativeOptions options);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int edgemodule_client_new(ref NativeOptions options, out ClientHandle client);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int edgemodule_client_connect(ClientHandle client);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int edgemodule_client_connect_async(ClientHandle client, DoneCallback done,
            IntPtr ctx, ContextFreeCallback ctxFree);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int edgemodule_client_close(ClientHandle client);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void edgemodule_client_free(IntPtr client);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int edgemodule_client_device_id(ClientHandle client, out IntPtr value, out UIntPtr len);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int edgemodule_client_module_id(ClientHandle client, out IntPtr value, out UIntPtr len);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int edgemodule_client_get_status(ClientHandle client, out int state, out int reason);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int edgemodule_client_set_status_callback(ClientHandle client, StatusCallback cb,
            IntPtr ctx, ContextFreeCallback ctxFree);

        // ---- messages -----------------------------------------------------------------
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int edgemodule_message_new(byte[] body, UIntPtr len, out MessageHandle message);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void edgemodule_message_free(IntPtr message);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int edgemodule_message_body(IntPtr message, out IntPtr data, out UIntPtr len);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int edgemodule_message_get_system_property(IntPtr message, int property,
            out IntPtr value, out UIntPtr len);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int edgemodule_message_set_system_property(MessageHandle message, int property,
            byte[] value, UIntPtr len);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int edgemodule_message_set_property(MessageHandle message, byte[] key, UIntPtr keyLen,
            byte[] value, UIntPtr valueLen);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern UIntPtr edgemodule_message_property_count(IntPtr message);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int edgemodule_message_property_at(IntPtr message, UIntPtr index,
            out IntPtr key, out UIntPtr keyLen, out IntPtr value, out UIntPtr valueLen);

        // ---- sending ------------------------------------------------------------------
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int edgemodule_client_send_output(ClientHandle client, byte[] output, UIntPtr outputLen,
            MessageHandle message);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int edgemodule_client_send_output_async(ClientHandle client, byte[] output,
            UIntPtr outputLen, MessageHandle message, DoneCallback done, IntPtr ctx, ContextFreeCallback ctxFree);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int edgemodule_client_send_body_async(ClientHandle client, byte[] output,
            UIntPtr outputLen, byte[] body, UIntPtr bodyLen, DoneCallback done, IntPtr ctx, ContextFreeCallback ctxFree);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int edgemodule_client_send_event(ClientHandle client, MessageHandle message);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int edgemodule_client_send_event_async(ClientHandle client, MessageHandle message,
            DoneCallback done, IntPtr ctx, ContextFreeCallback ctxFree);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int edgemodule_client_send_output_batch(ClientHandle client, byte[] output,
            UIntPtr outputLen, IntPtr[] messages, UIntPtr count);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int edgemodule_client_send_output_batch_async(ClientHandle client, byte[] output,
            UIntPtr outputLen, IntPtr[] messages, UIntPtr count, DoneCallback done, IntPtr ctx,
            ContextFreeCallback ctxFree);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int edgemodule_client_send_output_bodies_async(ClientHandle client, byte[] output,
            UIntPtr outputLen, byte[] bodies, UIntPtr[] lengths, UIntPtr count, DoneCallback done, IntPtr ctx,
            ContextFreeCallback ctxFree);

        // ---- inputs -------------------------------------------------------------------
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int edgemodule_client_set_input_callback(ClientHandle client, byte[] input,
            UIntPtr inputLen, InputCallback cb, IntPtr ctx, ContextFreeCallback ctxFree);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int edgemodule_client_set_default_input_callback(ClientHandle client, InputCallback cb,
            IntPtr ctx, ContextFreeCallback ctxFree);

        // ---- twin ---------------------------------------------------------------------
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int edgemodule_client_get_twin(ClientHandle client, out IntPtr twinJson,
            out UIntPtr twinJsonLen);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int edgemodule_client_get_twin_async(ClientHandle client, TwinCallback cb, IntPtr ctx,
            ContextFreeCallback ctxFree);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int edgemodule_client_patch_reported(ClientHandle client, byte[] patchJson,
            UIntPtr patchJsonLen);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int edgemodule_client_patch_reported_async(ClientHandle client, byte[] patchJson,
            UIntPtr patchJsonLen, DoneCallback done, IntPtr ctx, ContextFreeCallback ctxFree);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int edgemodule_client_set_desired_callback(ClientHandle client, DesiredCallback cb,
            IntPtr ctx, ContextFreeCallback ctxFree);

        // ---- methods ------------------------------------------------------------------
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int edgemodule_client_set_method_callback(ClientHandle client, byte[] method,
            UIntPtr methodLen, MethodCallbackNative cb, IntPtr ctx, ContextFreeCallback ctxFree);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int edgemodule_client_set_default_method_callback(ClientHandle client,
            MethodCallbackNative cb, IntPtr ctx, ContextFreeCallback ctxFree);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int edgemodule_method_respond(IntPtr response, int status, byte[] payloadJson,
            UIntPtr payloadJsonLen);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int edgemodule_method_fail(IntPtr response, byte[] errorMessage, UIntPtr errorMessageLen);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void edgemodule_method_response_free(IntPtr response);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int edgemodule_client_invoke_method(ClientHandle client, byte[] deviceId,
            UIntPtr deviceIdLen, byte[] moduleId, UIntPtr moduleIdLen, byte[] method, UIntPtr methodLen,
            byte[] payloadJson, UIntPtr payloadJsonLen, uint responseTimeoutMs, uint connectTimeoutMs,
            out int status, out IntPtr payloadJsonOut, out UIntPtr payloadJsonOutLen);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int edgemodule_client_invoke_method_async(ClientHandle client, byte[] deviceId,
            UIntPtr deviceIdLen, byte[] moduleId, UIntPtr moduleIdLen, byte[] method, UIntPtr methodLen,
            byte[] payloadJson, UIntPtr payloadJsonLen, uint responseTimeoutMs, uint connectTimeoutMs,
            InvokeCallback cb, IntPtr ctx, ContextFreeCallback ctxFree);

        // ---- user topics --------------------------------------------------------------
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int edgemodule_client_publish(ClientHandle client, byte[] topic, UIntPtr topicLen,
            byte[] payload, UIntPtr payloadLen, int qos);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int edgemodule_client_publish_async(ClientHandle client, byte[] topic,
            UIntPtr topicLen, byte[] payload, UIntPtr payloadLen, int qos, DoneCallback done, IntPtr ctx,
            ContextFreeCallback ctxFree);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int edgemodule_client_subscribe(ClientHandle client, byte[] filter, UIntPtr filterLen,
            TopicCallback cb, IntPtr ctx, ContextFreeCallback ctxFree, out SubscriptionHandle subscription);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int edgemodule_subscription_unsubscribe(IntPtr subscription);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void edgemodule_subscription_free(IntPtr subscription);
    }
}

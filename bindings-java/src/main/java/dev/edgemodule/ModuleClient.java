package dev.edgemodule;

import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An Azure IoT Edge module client: outputs and inputs, the module twin, direct methods,
 * user topics and the connection status, over MQTT to edgeHub.
 *
 * <pre>{@code
 * try (ModuleClient client = ModuleClient.createFromEnvironment()) {
 *     client.setMessageCallback("input1", message -> {
 *         client.sendEvent(new Message(message.getBytes()), "output1");
 *         return IotHubMessageResult.COMPLETE;
 *     });
 *     client.setMethodHandler("reset", (name, payload) -> new DirectMethodResponse(200, Map.of("reset", true)));
 *     client.open();
 *     new CountDownLatch(1).await();
 * }
 * }</pre>
 *
 * <p><b>Callbacks.</b> Message, method, desired-property and topic callbacks are handlers of
 * the native core, which applies one policy in every language (docs/delivery.md): each
 * registration handles one item at a time, in arrival order, on its own daemon thread
 * ({@code edgemodule-<module>-<slot>}), so different registrations run concurrently; a
 * message is acknowledged when its callback returns {@link IotHubMessageResult#COMPLETE} (or
 * {@code REJECT}); a callback that throws, returns {@code ABANDON} or null is called again with
 * the same message after {@link ClientOptions#redeliveryDelay} (doubling), {@link
 * ClientOptions#handlerAttempts} times in all (4 by default), then the message is acknowledged,
 * dropped and reported to the {@link #setBackgroundErrorCallback background-error callback}; a
 * method handler that throws or returns null answers the caller 500
 * {@code {"error":"HANDLER_FAILED","message":"the method handler failed"}}.
 *
 * <p><b>Threads.</b> Every method may be called from any thread, including from callbacks.
 * Status and background-error callbacks and the completions of the returned futures run on
 * the client's callback thread ({@code edgemodule-callbacks-<module>}, a daemon), one at a
 * time, in order; waiting there for a future of the same client throws
 * {@link IllegalStateException} (it could never complete): use continuations. No thread of
 * edgemodule keeps the JVM alive.
 *
 * <p><b>Lifetime.</b> Register callbacks before {@link #open()}: the client subscribes to a
 * kind of message only once something handles it, and {@code open()} returns once everything
 * registered is subscribed. {@link #close()} completes or fails (with
 * {@link ClientClosedException}) every operation in flight, and no callback runs after it
 * returns. Keep a reference to the client while it should run: a client that becomes
 * unreachable is closed by the garbage collector. The connection recovers by itself from
 * network failures and hub restarts (re-subscribing, and delivering a catch-up desired
 * patch); by default it never gives up ({@link ClientOptions#retryGiveUpAfter} sets a limit).
 *
 * <p><b>Errors.</b> Every failure is an unchecked {@link EdgeModuleException} subclass;
 * asynchronous methods complete their future exceptionally with one.
 */
public final class ModuleClient implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();

    private final long handle;
    private final Dispatcher dispatcher;
    private final Cleaner.Cleanable cleanable;
    private final Object registrations = new Object();
    private final AtomicLong nextSubscription = new AtomicLong(1);
    private boolean statusRegistered;
    private boolean backgroundErrorsRegistered;

    /** Frees the native client once the Java object is unreachable (or the JVM exits). */
    private static final class Release implements Runnable {
        private final long handle;

        Release(long handle) {
            this.handle = handle;
        }

        @Override
        public void run() {
            Native.free(handle);
        }
    }

    private ModuleClient(long handle) {
        this.handle = handle;
        this.dispatcher = new Dispatcher(Native.moduleId(handle));
        this.cleanable = CLEANER.register(this, new Release(handle));
    }

    private static ModuleClient create(int source, String connectionString, Map<String, String> environment,
            ClientOptions options) {
        Native.ensureLoaded();
        Logging.sync();
        String[] env = null;
        if (environment != null) {
            env = new String[environment.size() * 2];
            int i = 0;
            for (Map.Entry<String, String> e : environment.entrySet()) {
                env[i++] = Objects.requireNonNull(e.getKey(), "environment name");
                env[i++] = Objects.requireNonNull(e.getValue(), "environment value");
            }
        }
        String[] opts = (options == null ? new ClientOptions() : options).toNative();
        return new ModuleClient(Native.create(source, connectionString, env, opts));
    }

    /**
     * A client for the module IoT Edge started: reads {@code IOTEDGE_*} (signing and trust
     * through the workload API's Unix socket, handled internally) or
     * {@code EdgeHubConnectionString} + {@code EdgeModuleCACertificateFile};
     * {@code EDGEMODULE_MQTT_PORT} / {@code EDGEMODULE_HTTPS_PORT} override the gateway ports.
     * Does not connect yet (see {@link #open()}).
     *
     * @return the client
     * @throws ConfigException naming a missing or malformed variable
     */
    public static ModuleClient createFromEnvironment() {
        return createFromEnvironment((ClientOptions) null);
    }

    /**
     * As {@link #createFromEnvironment()}, with options.
     *
     * @param options the options (null: defaults)
     * @return the client
     */
    public static ModuleClient createFromEnvironment(ClientOptions options) {
        return create(Native.SOURCE_PROCESS_ENVIRONMENT, null, null, options);
    }

    /**
     * As {@link #createFromEnvironment()}, reading the variables from {@code environment}
     * instead of the process environment (e.g. a {@code .env} file, or tests).
     *
     * @param environment variable names and values
     * @return the client
     */
    public static ModuleClient createFromEnvironment(Map<String, String> environment) {
        return createFromEnvironment(environment, null);
    }

    /**
     * As {@link #createFromEnvironment(Map)}, with options.
     *
     * @param environment variable names and values
     * @param options the options (null: defaults)
     * @return the client
     */
    public static ModuleClient createFromEnvironment(Map<String, String> environment, ClientOptions options) {
        Objects.requireNonNull(environment, "environment");
        return create(Native.SOURCE_ENVIRONMENT_MAP, null, environment, options);
    }

    /**
     * A client for a module connection string
     * ({@code HostName=...;GatewayHostName=...;DeviceId=...;ModuleId=...;SharedAccessKey=...}).
     * The gateway's certificate is trusted through {@code EdgeModuleCACertificateFile}; ports
     * from {@code EDGEMODULE_MQTT_PORT} / {@code EDGEMODULE_HTTPS_PORT}, else 8883 / 443.
     *
     * @param connectionString the module connection string
     * @return the client
     * @throws ConfigException for a malformed string or no trust bundle
     */
    public static ModuleClient createFromConnectionString(String connectionString) {
        return createFromConnectionString(connectionString, null);
    }

    /**
     * As {@link #createFromConnectionString(String)}, with options (e.g.
     * {@link ClientOptions#trustBundlePem}).
     *
     * @param connectionString the module connection string
     * @param options the options (null: defaults)
     * @return the client
     */
    public static ModuleClient createFromConnectionString(String connectionString, ClientOptions options) {
        Objects.requireNonNull(connectionString, "connectionString");
        return create(Native.SOURCE_CONNECTION_STRING, connectionString, null, options);
    }

    // ---- identity and status ----

    /** @return the device id */
    public String getDeviceId() {
        try {
            return Native.deviceId(handle);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** @return the module id */
    public String getModuleId() {
        try {
            return Native.moduleId(handle);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** @return the connection status now */
    public IotHubConnectionStatus getConnectionStatus() {
        return IotHubConnectionStatus.fromCode(status()[0]);
    }

    /** @return the reason of the last status change */
    public IotHubConnectionStatusChangeReason getConnectionStatusReason() {
        return IotHubConnectionStatusChangeReason.fromCode(status()[1]);
    }

    private int[] status() {
        try {
            return Native.status(handle);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * Follows connection status changes from now on (null stops). The change to
     * {@code CLOSED} caused by {@link #close()} is not delivered: no callback runs after close.
     *
     * @param callback the callback, or null
     * @return this client
     */
    public ModuleClient setConnectionStatusChangeCallback(IotHubConnectionStatusChangeCallback callback) {
        synchronized (registrations) {
            dispatcher.lastStatus = getConnectionStatus();
            dispatcher.status = callback;
            boolean wanted = callback != null;
            if (wanted != statusRegistered) {
                try {
                    listen(() -> Native.listenStatus(handle, dispatcher, wanted));
                } catch (RuntimeException e) {
                    dispatcher.status = null;
                    throw e;
                }
                statusRegistered = wanted;
            }
        }
        return this;
    }

    /**
     * Receives the errors that happen in the background, with no operation to report them to
     * (null stops): a callback that failed on every attempt, a message or method call nothing
     * handles, a callback slower than edgeHub's acknowledgement timeout. Errors reported from
     * now on; they are logged either way.
     *
     * @param callback the callback, or null
     * @return this client
     */
    public ModuleClient setBackgroundErrorCallback(BackgroundErrorCallback callback) {
        synchronized (registrations) {
            dispatcher.backgroundErrors = callback;
            boolean wanted = callback != null;
            if (wanted != backgroundErrorsRegistered) {
                try {
                    listen(() -> Native.listenBackgroundErrors(handle, dispatcher, wanted));
                } catch (RuntimeException e) {
                    dispatcher.backgroundErrors = null;
                    throw e;
                }
                backgroundErrorsRegistered = wanted;
            }
        }
        return this;
    }

    /**
     * Reads the level of the {@code System.Logger} named {@code dev.edgemodule} again and
     * forwards the native core's records up to it. Creating a client does this too; call it
     * after making that logger more verbose while clients run.
     */
    public static void refreshLogLevel() {
        Native.ensureLoaded();
        Logging.sync();
    }

    // ---- lifecycle ----

    /**
     * Connects and returns once connected and subscribed. Optional: every operation connects
     * by itself. After a failure the client keeps retrying in the background (except after
     * {@link UnauthorizedException}); calling {@code open()} again waits for that.
     *
     * @throws UnauthorizedException at once when the hub refuses the credentials
     * @throws EdgeConnectionException when not connected within the operation timeout
     * @throws EdgeTimeoutException when not connected within the operation timeout
     */
    public void open() {
        try {
            Native.connect(handle, null);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * As {@link #open()}, without blocking.
     *
     * @return completes once connected
     */
    public CompletableFuture<Void> openAsync() {
        return async(f -> Native.connect(handle, f));
    }

    /**
     * Closes the client (idempotent): operations in flight fail with
     * {@link ClientClosedException} (their futures complete before this returns), no callback
     * runs after this returns, and the connection is closed. Called inside one of this
     * client's callbacks, it returns at once and the rest happens in the background.
     *
     * @throws EdgeTimeoutException when a callback blocked the close for more than 10 s
     */
    @Override
    public void close() {
        try {
            Native.close(handle);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    // ---- messages ----

    /**
     * Sends {@code message} to output {@code outputName} (the hub routes it) and returns
     * once the hub acknowledged it.
     *
     * @param message the message
     * @param outputName the output
     * @throws MessageTooLargeException above 256 KiB (nothing is sent)
     */
    public void sendEvent(Message message, String outputName) {
        Objects.requireNonNull(outputName, "outputName");
        send(message, outputName, null);
    }

    /**
     * As {@link #sendEvent(Message, String)}, without blocking.
     *
     * @param message the message
     * @param outputName the output
     * @return completes when the hub acknowledged the message
     */
    public CompletableFuture<Void> sendEventAsync(Message message, String outputName) {
        Objects.requireNonNull(outputName, "outputName");
        Objects.requireNonNull(message, "message");
        return async(f -> send(message, outputName, f));
    }

    /**
     * Sends {@code message} as module telemetry, without an output name.
     *
     * @param message the message
     */
    public void sendEvent(Message message) {
        send(message, null, null);
    }

    /**
     * As {@link #sendEvent(Message)}, without blocking.
     *
     * @param message the message
     * @return completes when the hub acknowledged the message
     */
    public CompletableFuture<Void> sendEventAsync(Message message) {
        Objects.requireNonNull(message, "message");
        return async(f -> send(message, null, f));
    }

    private void send(Message message, String output, CompletableFuture<?> future) {
        Objects.requireNonNull(message, "message");
        try {
            Native.sendOutput(handle, output, message.body(), message.systemArray(), message.propertyArray(), future);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * Sends several messages to {@code outputName}, pipelined; returns once the hub
     * acknowledged all of them. Every message is checked before any is sent. On failure the
     * first error is thrown (earlier messages may have been delivered).
     *
     * @param messages the messages
     * @param outputName the output
     */
    public void sendEvents(List<Message> messages, String outputName) {
        sendBatch(messages, outputName, null);
    }

    /**
     * As {@link #sendEvents}, without blocking.
     *
     * @param messages the messages
     * @param outputName the output
     * @return completes when the hub acknowledged every message
     */
    public CompletableFuture<Void> sendEventsAsync(List<Message> messages, String outputName) {
        Objects.requireNonNull(messages, "messages");
        Objects.requireNonNull(outputName, "outputName");
        return async(f -> sendBatch(messages, outputName, f));
    }

    /**
     * The largest batch (bytes of body) sent as one joined array: above it, copying into a large
     * fresh array costs more than the JNI calls it saves (measured at 500 x 16 KiB).
     */
    private static final int JOINED_BODIES_MAX = 256 * 1024;

    private void sendBatch(List<Message> messages, String output, CompletableFuture<?> future) {
        Objects.requireNonNull(messages, "messages");
        Objects.requireNonNull(output, "outputName");
        int n = messages.size();
        byte[][] bodies = new byte[n][];
        String[][] systems = new String[n][];
        String[][] properties = new String[n][];
        boolean plain = true;
        long total = 0; // long: any batch sums without overflow; only one within JOINED_BODIES_MAX is joined
        for (int i = 0; i < n; i++) {
            Message m = Objects.requireNonNull(messages.get(i), "message");
            bodies[i] = m.body();
            systems[i] = m.systemArray();
            properties[i] = m.propertyArray();
            plain = plain && systems[i] == null && properties[i] == null;
            total += bodies[i].length;
        }
        try {
            if (plain && total <= JOINED_BODIES_MAX) {
                // No message sets a property: the bodies cross in one array (two JNI calls per batch).
                byte[] joined = new byte[(int) total];
                int[] lengths = new int[n];
                int at = 0;
                for (int i = 0; i < n; i++) {
                    System.arraycopy(bodies[i], 0, joined, at, bodies[i].length);
                    lengths[i] = bodies[i].length;
                    at += lengths[i];
                }
                Native.sendOutputBodies(handle, output, joined, lengths, future);
                return;
            }
            Native.sendOutputBatch(handle, output, bodies, systems, properties, future);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * Receives the messages of input {@code inputName} with {@code callback}, replacing an
     * earlier one (messages it has not started go to the new one); null removes it, and the
     * input's messages then go to the default callback. One message at a time, in arrival
     * order; see the class documentation for acknowledgement and retries.
     *
     * @param inputName the input
     * @param callback the callback, or null
     * @return this client
     * @throws InvalidArgumentException for an empty name
     */
    public ModuleClient setMessageCallback(String inputName, MessageCallback callback) {
        Objects.requireNonNull(inputName, "inputName");
        synchronized (registrations) {
            MessageCallback previous = dispatcher.inputs.get(inputName);
            if (callback != null) {
                dispatcher.inputs.put(inputName, callback);
            }
            try {
                listen(() -> Native.setInputHandler(handle, dispatcher, inputName, callback != null));
            } catch (RuntimeException e) {
                restore(dispatcher.inputs, inputName, previous);
                throw e;
            }
        }
        return this;
    }

    /**
     * Receives the messages of every input without its own callback (null removes it). A
     * message for an input nothing handles is acknowledged, dropped and reported as
     * {@link BackgroundError.Kind#NO_HANDLER}.
     *
     * @param callback the callback, or null
     * @return this client
     */
    public ModuleClient setMessageCallback(MessageCallback callback) {
        synchronized (registrations) {
            MessageCallback previous = dispatcher.defaultInput;
            if (callback != null) {
                dispatcher.defaultInput = callback;
            }
            try {
                listen(() -> Native.setInputHandler(handle, dispatcher, null, callback != null));
            } catch (RuntimeException e) {
                dispatcher.defaultInput = previous;
                throw e;
            }
        }
        return this;
    }

    /** Puts back what a failed registration replaced. */
    private static <V> void restore(Map<String, V> map, String key, V previous) {
        if (previous == null) {
            map.remove(key);
        } else {
            map.put(key, previous);
        }
    }

    // ---- twin ----

    /**
     * Reads the module twin.
     *
     * @return the twin
     */
    public Twin getTwin() {
        try {
            return Twin.fromJson(Native.getTwin(handle, null));
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * As {@link #getTwin()}, without blocking.
     *
     * @return completes with the twin
     */
    public CompletableFuture<Twin> getTwinAsync() {
        EdgeFuture<String> raw = async(f -> Native.getTwin(handle, f));
        return raw.thenApply(Twin::fromJson);
    }

    /**
     * Merges {@code patch} into the reported properties (a null value removes a property).
     *
     * @param patch property names and plain Java values (maps, lists, strings, numbers,
     *     booleans, null), e.g. a {@link TwinCollection}
     */
    public void updateReportedProperties(Map<String, ?> patch) {
        String json = Json.write(Objects.requireNonNull(patch, "patch"));
        try {
            Native.patchReported(handle, json, null);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * As {@link #updateReportedProperties}, without blocking.
     *
     * @param patch the properties to merge
     * @return completes when the hub accepted the patch
     */
    public CompletableFuture<Void> updateReportedPropertiesAsync(Map<String, ?> patch) {
        String json = Json.write(Objects.requireNonNull(patch, "patch"));
        return async(f -> Native.patchReported(handle, json, f));
    }

    /**
     * Receives desired-property patches with {@code callback} (null stops), including the
     * catch-up patch after a reconnect during which they changed. One patch at a time, in
     * order; a callback that throws is called again with the same patch (as a message
     * callback is).
     *
     * @param callback the callback, or null
     * @return this client
     */
    public ModuleClient subscribeToDesiredProperties(DesiredPropertiesCallback callback) {
        synchronized (registrations) {
            DesiredPropertiesCallback previous = dispatcher.desired;
            if (callback != null) {
                dispatcher.desired = callback;
            }
            try {
                listen(() -> Native.setDesiredHandler(handle, dispatcher, callback != null));
            } catch (RuntimeException e) {
                dispatcher.desired = previous;
                throw e;
            }
        }
        return this;
    }

    // ---- direct methods ----

    /**
     * Handles calls of direct method {@code methodName} with {@code callback}, replacing an
     * earlier one; null removes it, and its calls then go to the default handler. One call at
     * a time per handler, in arrival order. A handler that throws or returns null answers the
     * caller 500 {@code {"error":"HANDLER_FAILED","message":"the method handler failed"}}; a
     * call nothing handles is answered 501. A client that never registers a method handler is
     * not subscribed to methods: its callers get 404 at once.
     *
     * @param methodName the method
     * @param callback the handler, or null
     * @return this client
     * @throws InvalidArgumentException for an empty name
     */
    public ModuleClient setMethodHandler(String methodName, MethodCallback callback) {
        Objects.requireNonNull(methodName, "methodName");
        synchronized (registrations) {
            MethodCallback previous = dispatcher.methods.get(methodName);
            if (callback != null) {
                dispatcher.methods.put(methodName, callback);
            }
            try {
                listen(() -> Native.setMethodHandler(handle, dispatcher, methodName, callback != null));
            } catch (RuntimeException e) {
                restore(dispatcher.methods, methodName, previous);
                throw e;
            }
        }
        return this;
    }

    /**
     * Handles calls of every method without its own handler (null removes it).
     *
     * @param callback the default handler, or null
     * @return this client
     */
    public ModuleClient setMethodHandler(MethodCallback callback) {
        synchronized (registrations) {
            MethodCallback previous = dispatcher.defaultMethod;
            if (callback != null) {
                dispatcher.defaultMethod = callback;
            }
            try {
                listen(() -> Native.setMethodHandler(handle, dispatcher, null, callback != null));
            } catch (RuntimeException e) {
                dispatcher.defaultMethod = previous;
                throw e;
            }
        }
        return this;
    }

    /**
     * Calls a direct method on module {@code moduleId} of device {@code deviceId} through the
     * gateway, honouring the request's timeouts.
     *
     * @param deviceId the device
     * @param moduleId the module
     * @param request the call
     * @return the target's answer (any status, including errors it answered with)
     * @throws NotFoundException when the target is not connected
     * @throws EdgeTimeoutException when it did not answer in time
     */
    public DirectMethodResponse invokeMethod(String deviceId, String moduleId, DirectMethodRequest request) {
        return parseAnswer(invoke(deviceId, moduleId, request, null));
    }

    /**
     * Calls a direct method on device {@code deviceId} itself.
     *
     * @param deviceId the device
     * @param request the call
     * @return the device's answer
     */
    public DirectMethodResponse invokeMethod(String deviceId, DirectMethodRequest request) {
        return parseAnswer(invoke(deviceId, null, request, null));
    }

    /**
     * As {@link #invokeMethod(String, String, DirectMethodRequest)}, without blocking.
     *
     * @param deviceId the device
     * @param moduleId the module (null: the device itself)
     * @param request the call
     * @return completes with the target's answer
     */
    public CompletableFuture<DirectMethodResponse> invokeMethodAsync(String deviceId, String moduleId,
            DirectMethodRequest request) {
        Objects.requireNonNull(deviceId, "deviceId");
        Objects.requireNonNull(request, "request");
        EdgeFuture<String> raw = async(f -> invoke(deviceId, moduleId, request, f));
        return raw.thenApply(ModuleClient::parseAnswer);
    }

    private String invoke(String deviceId, String moduleId, DirectMethodRequest request, CompletableFuture<?> future) {
        Objects.requireNonNull(deviceId, "deviceId");
        Objects.requireNonNull(request, "request");
        try {
            return Native.invokeMethod(handle, deviceId, moduleId, request.getMethodName(),
                    request.getPayloadAsJsonString(), request.getResponseTimeout().toMillis(),
                    request.getConnectTimeout().toMillis(), future);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    private static DirectMethodResponse parseAnswer(String json) {
        Map<String, Object> answer = Json.parseObject(json);
        Object status = answer.get("status");
        int code = status instanceof Number ? ((Number) status).intValue() : 0;
        return DirectMethodResponse.fromJson(code, Json.write(answer.get("payload")));
    }

    // ---- user topics ----

    /**
     * Publishes {@code payload} to a user-defined topic with QoS 1 (the hub's broker policy
     * must allow it).
     *
     * @param topic the topic
     * @param payload the payload
     */
    public void publish(String topic, byte[] payload) {
        publish(topic, payload, 1);
    }

    /**
     * Publishes with QoS 0 (returns once written) or 1 (returns on the hub's acknowledgement).
     *
     * @param topic the topic
     * @param payload the payload
     * @param qos 0 or 1
     */
    public void publish(String topic, byte[] payload, int qos) {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(payload, "payload");
        try {
            Native.publish(handle, topic, payload, qos, null);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * As {@link #publish(String, byte[], int)}, without blocking.
     *
     * @param topic the topic
     * @param payload the payload
     * @param qos 0 or 1
     * @return completes once published
     */
    public CompletableFuture<Void> publishAsync(String topic, byte[] payload, int qos) {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(payload, "payload");
        return async(f -> Native.publish(handle, topic, payload, qos, f));
    }

    /**
     * Subscribes to a user-topic filter (QoS 1) and returns once the hub accepted it; every
     * reconnect subscribes it again. The callback gets one message at a time, in arrival
     * order, on the subscription's own thread; a message is acknowledged when the callback
     * returns, and a callback that throws is retried as a message callback is.
     *
     * @param topicFilter the filter (MQTT wildcards allowed)
     * @param callback receives the messages
     * @return the subscription ({@link Subscription#close()} unsubscribes)
     * @throws UnauthorizedException when the hub's policy refuses the subscription
     */
    public Subscription subscribe(String topicFilter, TopicCallback callback) {
        Objects.requireNonNull(topicFilter, "topicFilter");
        Objects.requireNonNull(callback, "callback");
        long id = nextSubscription.getAndIncrement();
        dispatcher.topics.put(id, callback);
        try {
            Native.subscribe(handle, dispatcher, id, topicFilter, null);
            return new Subscription(this, id, topicFilter);
        } catch (RuntimeException e) {
            unsubscribe(id);
            throw e;
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * As {@link #subscribe}, without blocking.
     *
     * @param topicFilter the filter
     * @param callback receives the messages
     * @return completes with the subscription once the hub accepted it
     */
    public CompletableFuture<Subscription> subscribeAsync(String topicFilter, TopicCallback callback) {
        Objects.requireNonNull(topicFilter, "topicFilter");
        Objects.requireNonNull(callback, "callback");
        long id = nextSubscription.getAndIncrement();
        dispatcher.topics.put(id, callback);
        EdgeFuture<String> raw = async(f -> Native.subscribe(handle, dispatcher, id, topicFilter, f));
        return raw.handle((ok, error) -> {
            if (error != null) {
                unsubscribe(id);
                throw error instanceof RuntimeException ? (RuntimeException) error : new java.util.concurrent.CompletionException(error);
            }
            return new Subscription(this, id, topicFilter);
        });
    }

    void unsubscribe(long id) {
        try {
            Native.unsubscribe(handle, id);
        } finally {
            dispatcher.topics.remove(id);
            Reference.reachabilityFence(this);
        }
    }

    // ---- helpers ----

    @FunctionalInterface
    private interface Start {
        void start(CompletableFuture<?> future);
    }

    /** Starts an asynchronous native operation; a failure to start fails the future. */
    private <T> EdgeFuture<T> async(Start start) {
        EdgeFuture<T> future = new EdgeFuture<>(dispatcher);
        try {
            start.start(future);
        } catch (EdgeModuleException e) {
            future.completeExceptionally(e);
        } finally {
            Reference.reachabilityFence(this);
        }
        return future;
    }

    private void listen(Runnable registration) {
        try {
            registration.run();
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    @Override
    public String toString() {
        return "ModuleClient{" + getDeviceId() + "/" + getModuleId() + ", " + getConnectionStatus() + "}";
    }
}

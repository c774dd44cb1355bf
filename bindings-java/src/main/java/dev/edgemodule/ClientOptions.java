package dev.edgemodule;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Options of a {@link ModuleClient}. Every option has a default; set only what you need:
 *
 * <pre>{@code
 * ClientOptions options = new ClientOptions()
 *         .operationTimeout(Duration.ofSeconds(10))
 *         .productInfo("filter/1.0");
 * ModuleClient client = ModuleClient.createFromEnvironment(options);
 * }</pre>
 */
public final class ClientOptions {
    private Duration operationTimeout;
    private Duration keepAlive;
    private Duration sasTokenTimeToLive;
    private Duration redeliveryDelay;
    private Duration retryInitialDelay;
    private Duration retryMaxDelay;
    private Duration retryGiveUpAfter;
    private Integer mqttPort;
    private Integer httpsPort;
    private Integer maxInflight;
    private String trustBundlePem;
    private String productInfo;
    private String modelId;

    /** Options with every default. */
    public ClientOptions() {}

    /**
     * Upper bound of every operation: send, twin, method response, connect (default 30 s).
     *
     * @param timeout the timeout
     * @return these options
     */
    public ClientOptions operationTimeout(Duration timeout) {
        this.operationTimeout = positive(timeout, "operationTimeout");
        return this;
    }

    /**
     * MQTT keep-alive (default 60 s, whole seconds).
     *
     * @param keepAlive the keep-alive interval
     * @return these options
     */
    public ClientOptions keepAlive(Duration keepAlive) {
        this.keepAlive = positive(keepAlive, "keepAlive");
        return this;
    }

    /**
     * Lifetime of each SAS token (default 1 hour); the client reconnects with a fresh token
     * at 80 % of it.
     *
     * @param ttl the token lifetime
     * @return these options
     */
    public ClientOptions sasTokenTimeToLive(Duration ttl) {
        this.sasTokenTimeToLive = positive(ttl, "sasTokenTimeToLive");
        return this;
    }

    /**
     * How long an abandoned input message waits before it is delivered again (default
     * 500 ms).
     *
     * @param delay the delay
     * @return these options
     */
    public ClientOptions redeliveryDelay(Duration delay) {
        this.redeliveryDelay = nonNegative(delay, "redeliveryDelay");
        return this;
    }

    /**
     * The reconnect backoff: the first delay and the upper bound of any delay (defaults
     * 100 ms and 10 s; exponential with jitter in between).
     *
     * @param initialDelay delay before the first retry
     * @param maxDelay upper bound of any delay
     * @return these options
     */
    public ClientOptions retryDelays(Duration initialDelay, Duration maxDelay) {
        this.retryInitialDelay = nonNegative(initialDelay, "initialDelay");
        this.retryMaxDelay = nonNegative(maxDelay, "maxDelay");
        return this;
    }

    /**
     * Stop reconnecting once disconnected this long (default: never). The status then
     * becomes {@code DISCONNECTED} with reason {@code RETRY_EXPIRED}.
     *
     * @param giveUpAfter how long to keep retrying
     * @return these options
     */
    public ClientOptions retryGiveUpAfter(Duration giveUpAfter) {
        this.retryGiveUpAfter = positive(giveUpAfter, "retryGiveUpAfter");
        return this;
    }

    /**
     * The gateway's MQTT port (default {@code EDGEMODULE_MQTT_PORT}, else 8883).
     *
     * @param port the port
     * @return these options
     */
    public ClientOptions mqttPort(int port) {
        this.mqttPort = port(port, "mqttPort");
        return this;
    }

    /**
     * The gateway's HTTPS port, used by {@code invokeMethod} (default
     * {@code EDGEMODULE_HTTPS_PORT}, else 443).
     *
     * @param port the port
     * @return these options
     */
    public ClientOptions httpsPort(int port) {
        this.httpsPort = port(port, "httpsPort");
        return this;
    }

    /**
     * Most QoS 1 publishes awaiting the hub's acknowledgement at once (default 100).
     *
     * @param max the limit (at least 1)
     * @return these options
     */
    public ClientOptions maxInflight(int max) {
        if (max < 1 || max > 65535) {
            throw new IllegalArgumentException("maxInflight must be 1..65535");
        }
        this.maxInflight = max;
        return this;
    }

    /**
     * PEM certificates to trust for the gateway, instead of the workload API's trust bundle
     * or {@code EdgeModuleCACertificateFile}. Required for
     * {@link ModuleClient#createFromConnectionString(String, ClientOptions)} unless
     * {@code EdgeModuleCACertificateFile} is set.
     *
     * @param pem one or more PEM certificates
     * @return these options
     */
    public ClientOptions trustBundlePem(String pem) {
        this.trustBundlePem = Objects.requireNonNull(pem, "pem");
        return this;
    }

    /**
     * Text appended to the client type the hub sees (e.g. {@code "filter/1.0"}).
     *
     * @param productInfo the product info
     * @return these options
     */
    public ClientOptions productInfo(String productInfo) {
        this.productInfo = Objects.requireNonNull(productInfo, "productInfo");
        return this;
    }

    /**
     * The digital-twin model id ({@code dtmi:...}).
     *
     * @param modelId the model id
     * @return these options
     */
    public ClientOptions modelId(String modelId) {
        this.modelId = Objects.requireNonNull(modelId, "modelId");
        return this;
    }

    /** The options as {@code [name0, value0, ...]} for the native library. */
    String[] toNative() {
        List<String> out = new ArrayList<>();
        millis(out, "operation_timeout_ms", operationTimeout);
        millis(out, "keep_alive_ms", keepAlive);
        millis(out, "sas_ttl_ms", sasTokenTimeToLive);
        millis(out, "redelivery_delay_ms", redeliveryDelay);
        millis(out, "retry_initial_delay_ms", retryInitialDelay);
        millis(out, "retry_max_delay_ms", retryMaxDelay);
        millis(out, "retry_give_up_after_ms", retryGiveUpAfter);
        text(out, "mqtt_port", mqttPort);
        text(out, "https_port", httpsPort);
        text(out, "max_inflight", maxInflight);
        text(out, "trust_bundle_pem", trustBundlePem);
        text(out, "product_info", productInfo);
        text(out, "model_id", modelId);
        return out.toArray(new String[0]);
    }

    private static void millis(List<String> out, String name, Duration value) {
        if (value != null) {
            out.add(name);
            out.add(Long.toString(value.toMillis()));
        }
    }

    private static void text(List<String> out, String name, Object value) {
        if (value != null) {
            out.add(name);
            out.add(value.toString());
        }
    }

    private static Duration positive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive");
        }
        return d;
    }

    private static Duration nonNegative(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative()) {
            throw new IllegalArgumentException(name + " must not be negative");
        }
        return d;
    }

    private static int port(int port, String name) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(name + " must be 1..65535");
        }
        return port;
    }
}

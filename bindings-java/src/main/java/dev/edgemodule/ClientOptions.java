package dev.edgemodule;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
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
 *
 * <p>Each setter maps to one option of the native core (named in its documentation, e.g.
 * {@code operation_timeout_ms}); the core checks every value when the client is created, with
 * the same ranges and messages in every language: a value out of range is an
 * {@link InvalidArgumentException} naming the option and its range (never clamped). The
 * defaults and ranges are in docs/core-policies.md §3.
 */
public final class ClientOptions {
    /** Core option name → value as text, in the order set (a later value replaces). */
    private final Map<String, String> values = new LinkedHashMap<>();

    /** Options with every default. */
    public ClientOptions() {}

    /**
     * Upper bound of every operation: send, twin, method response, connect (default 30 s;
     * {@code operation_timeout_ms}).
     *
     * @param timeout the timeout
     * @return these options
     */
    public ClientOptions operationTimeout(Duration timeout) {
        return millis("operation_timeout_ms", timeout);
    }

    /**
     * MQTT keep-alive, in whole seconds (default 60 s; {@code keep_alive_secs}).
     *
     * @param keepAlive the keep-alive interval
     * @return these options
     */
    public ClientOptions keepAlive(Duration keepAlive) {
        return seconds("keep_alive_secs", keepAlive);
    }

    /**
     * Lifetime of each SAS token the client signs, in whole seconds (default 1 hour;
     * {@code sas_ttl_secs}); the client connects again with a fresh token at
     * {@link #sasTokenRenewalPercent} of it.
     *
     * @param ttl the token lifetime
     * @return these options
     */
    public ClientOptions sasTokenTimeToLive(Duration ttl) {
        return seconds("sas_ttl_secs", ttl);
    }

    /**
     * When to renew a SAS token, in percent of its lifetime (default 80;
     * {@code sas_renewal_percent}).
     *
     * @param percent the share of the lifetime
     * @return these options
     */
    public ClientOptions sasTokenRenewalPercent(int percent) {
        return put("sas_renewal_percent", Integer.toString(percent));
    }

    /**
     * How long a failed message, patch or topic callback waits before it is called again
     * with the same message; each further wait doubles (default 500 ms;
     * {@code redelivery_delay_ms}).
     *
     * @param delay the first wait
     * @return these options
     */
    public ClientOptions redeliveryDelay(Duration delay) {
        return millis("redelivery_delay_ms", delay);
    }

    /**
     * Calls of a failing message, patch or topic callback per message before the message is
     * acknowledged, dropped and reported as {@link BackgroundError.Kind#HANDLER_FAILED}
     * (default 4; {@code handler_attempts}).
     *
     * @param attempts calls per message
     * @return these options
     */
    public ClientOptions handlerAttempts(int attempts) {
        return put("handler_attempts", Integer.toString(attempts));
    }

    /**
     * The reconnect backoff: the first delay and the upper bound of any delay (defaults
     * 100 ms and 10 s; {@code retry_initial_delay_ms}, {@code retry_max_delay_ms}). The delay
     * before attempt n is {@code min(max, initial * multiplier^n)} less a random share up to
     * the jitter.
     *
     * @param initialDelay delay before the first retry
     * @param maxDelay upper bound of any delay
     * @return these options
     */
    public ClientOptions retryDelays(Duration initialDelay, Duration maxDelay) {
        millis("retry_initial_delay_ms", initialDelay);
        return millis("retry_max_delay_ms", maxDelay);
    }

    /**
     * Growth of the reconnect delay per attempt (default 2; {@code retry_multiplier}).
     *
     * @param multiplier the factor
     * @return these options
     */
    public ClientOptions retryMultiplier(double multiplier) {
        return put("retry_multiplier", Double.toString(multiplier));
    }

    /**
     * Largest share of a reconnect delay taken off at random (default 0.2;
     * {@code retry_jitter}).
     *
     * @param jitter the share, 0 to 1
     * @return these options
     */
    public ClientOptions retryJitter(double jitter) {
        return put("retry_jitter", Double.toString(jitter));
    }

    /**
     * Stop reconnecting once disconnected this long (default: never;
     * {@code retry_give_up_after_ms}). The status then becomes {@code DISCONNECTED} with reason
     * {@code RETRY_EXPIRED}, and operations waiting for the connection fail with
     * {@link EdgeConnectionException}.
     *
     * @param giveUpAfter how long to keep retrying
     * @return these options
     */
    public ClientOptions retryGiveUpAfter(Duration giveUpAfter) {
        return millis("retry_give_up_after_ms", giveUpAfter);
    }

    /**
     * The gateway's MQTT port (default {@code EDGEMODULE_MQTT_PORT}, else 8883;
     * {@code mqtt_port}).
     *
     * @param port the port
     * @return these options
     */
    public ClientOptions mqttPort(int port) {
        return put("mqtt_port", Integer.toString(port));
    }

    /**
     * The gateway's HTTPS port, used by {@code invokeMethod} (default
     * {@code EDGEMODULE_HTTPS_PORT}, else 443; {@code https_port}).
     *
     * @param port the port
     * @return these options
     */
    public ClientOptions httpsPort(int port) {
        return put("https_port", Integer.toString(port));
    }

    /**
     * Most QoS 1 publishes awaiting the hub's acknowledgement at once (default 100;
     * {@code max_inflight}).
     *
     * @param max the limit
     * @return these options
     */
    public ClientOptions maxInflight(int max) {
        return put("max_inflight", Integer.toString(max));
    }

    /**
     * PEM certificates to trust for the gateway, instead of the workload API's trust bundle
     * or {@code EdgeModuleCACertificateFile} ({@code trust_bundle_pem}).
     *
     * @param pem one or more PEM certificates
     * @return these options
     */
    public ClientOptions trustBundlePem(String pem) {
        return put("trust_bundle_pem", Objects.requireNonNull(pem, "pem"));
    }

    /**
     * A PEM file of certificates to trust for the gateway, read when the client is created
     * ({@code trust_bundle_file}; {@link #trustBundlePem} wins when both are set).
     *
     * @param path the file
     * @return these options
     */
    public ClientOptions trustBundleFile(String path) {
        return put("trust_bundle_file", Objects.requireNonNull(path, "path"));
    }

    /**
     * Text appended to the client type the hub sees (e.g. {@code "filter/1.0"};
     * {@code product_info}).
     *
     * @param productInfo the product info
     * @return these options
     */
    public ClientOptions productInfo(String productInfo) {
        return put("product_info", Objects.requireNonNull(productInfo, "productInfo"));
    }

    /**
     * The digital-twin model id ({@code dtmi:...}; {@code model_id}).
     *
     * @param modelId the model id
     * @return these options
     */
    public ClientOptions modelId(String modelId) {
        return put("model_id", Objects.requireNonNull(modelId, "modelId"));
    }

    /** The options as {@code [name0, value0, ...]} with the core's names, for the native library. */
    String[] toNative() {
        String[] out = new String[values.size() * 2];
        int i = 0;
        for (Map.Entry<String, String> e : values.entrySet()) {
            out[i++] = e.getKey();
            out[i++] = e.getValue();
        }
        return out;
    }

    private ClientOptions put(String name, String value) {
        values.put(name, value);
        return this;
    }

    /** A duration in milliseconds, exactly (a fraction is left for the core to refuse). */
    private ClientOptions millis(String name, Duration value) {
        return put(name, decimal(Objects.requireNonNull(value, name), 3));
    }

    /** A duration in seconds, exactly (a fraction is left for the core to refuse). */
    private ClientOptions seconds(String name, Duration value) {
        return put(name, decimal(Objects.requireNonNull(value, name), 0));
    }

    /** {@code value} in units of 10^-scale seconds, as plain decimal text. */
    private static String decimal(Duration value, int scale) {
        BigDecimal seconds = BigDecimal.valueOf(value.getSeconds()).add(BigDecimal.valueOf(value.getNano(), 9));
        BigDecimal units = seconds.movePointRight(scale).stripTrailingZeros();
        return units.scale() < 0 ? units.setScale(0).toPlainString() : units.toPlainString();
    }
}

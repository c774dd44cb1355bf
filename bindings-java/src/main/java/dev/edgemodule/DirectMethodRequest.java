package dev.edgemodule;

import java.time.Duration;
import java.util.Objects;

/** A direct-method call to make with {@link ModuleClient#invokeMethod}. */
public final class DirectMethodRequest {
    private final String methodName;
    private final String json;
    private Duration responseTimeout = Duration.ofSeconds(30);
    private Duration connectTimeout = Duration.ZERO;

    /**
     * A call of {@code methodName} with {@code payload} written as JSON.
     *
     * @param methodName the method (1 to 100 characters)
     * @param payload a {@code Map}, {@code List}, {@code String}, number, boolean or null
     */
    public DirectMethodRequest(String methodName, Object payload) {
        this(methodName, Json.write(payload), true);
    }

    /**
     * A call with timeouts in seconds, as in the official Java SDK.
     *
     * @param methodName the method
     * @param payload the payload (written as JSON)
     * @param responseTimeoutSeconds how long the target may take (5 to 300 s)
     * @param connectTimeoutSeconds how long to wait for the target to connect (0 to 300 s)
     */
    public DirectMethodRequest(String methodName, Object payload, int responseTimeoutSeconds, int connectTimeoutSeconds) {
        this(methodName, payload);
        setResponseTimeout(Duration.ofSeconds(responseTimeoutSeconds));
        setConnectTimeout(Duration.ofSeconds(connectTimeoutSeconds));
    }

    private DirectMethodRequest(String methodName, String json, boolean checked) {
        this.methodName = Objects.requireNonNull(methodName, "methodName");
        this.json = json;
    }

    /**
     * A call whose payload is the JSON text {@code json}.
     *
     * @param methodName the method
     * @param json JSON text
     * @return the request
     * @throws InvalidArgumentException when {@code json} is not JSON
     */
    public static DirectMethodRequest fromJson(String methodName, String json) {
        Json.parse(Objects.requireNonNull(json, "json"));
        return new DirectMethodRequest(methodName, json, true);
    }

    /**
     * How long the target may take to answer (5 to 300 s; default 30 s).
     *
     * @param timeout the timeout
     * @return this request
     */
    public DirectMethodRequest setResponseTimeout(Duration timeout) {
        this.responseTimeout = Objects.requireNonNull(timeout, "timeout");
        return this;
    }

    /**
     * How long to wait for the target to connect (0 to 300 s; default 0: it must be
     * connected).
     *
     * @param timeout the timeout
     * @return this request
     */
    public DirectMethodRequest setConnectTimeout(Duration timeout) {
        this.connectTimeout = Objects.requireNonNull(timeout, "timeout");
        return this;
    }

    /** @return the method name */
    public String getMethodName() {
        return methodName;
    }

    /** @return the payload as JSON text */
    public String getPayloadAsJsonString() {
        return json;
    }

    /** @return the response timeout */
    public Duration getResponseTimeout() {
        return responseTimeout;
    }

    /** @return the connect timeout */
    public Duration getConnectTimeout() {
        return connectTimeout;
    }
}

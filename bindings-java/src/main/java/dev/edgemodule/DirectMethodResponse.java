package dev.edgemodule;

import java.util.Objects;

/**
 * A direct-method response: the status (e.g. 200) and a JSON payload. Returned by a
 * {@link MethodCallback}, and by {@link ModuleClient#invokeMethod} with the target's answer.
 */
public final class DirectMethodResponse {
    private final int status;
    private final String json;

    /**
     * A response whose payload is {@code payload} written as JSON (a {@code Map},
     * {@code List}, {@code String}, number, boolean or null).
     *
     * @param status the status, e.g. 200
     * @param payload the payload
     * @throws InvalidArgumentException when {@code payload} cannot be written as JSON
     */
    public DirectMethodResponse(int status, Object payload) {
        this(status, Json.write(payload), true);
    }

    private DirectMethodResponse(int status, String json, boolean checked) {
        this.status = status;
        this.json = json;
    }

    /**
     * A response whose payload is the JSON text {@code json}.
     *
     * @param status the status
     * @param json JSON text
     * @return the response
     * @throws InvalidArgumentException when {@code json} is not JSON
     */
    public static DirectMethodResponse fromJson(int status, String json) {
        Json.parse(Objects.requireNonNull(json, "json"));
        return new DirectMethodResponse(status, json, true);
    }

    /** @return the status */
    public int getStatus() {
        return status;
    }

    /** @return the payload as JSON text */
    public String getPayloadAsJsonString() {
        return json;
    }

    /** @return the payload as plain Java values (see {@link DirectMethodPayload#getPayload()}) */
    public Object getPayload() {
        return Json.parse(json);
    }

    @Override
    public String toString() {
        return "DirectMethodResponse{status=" + status + ", payload=" + json + "}";
    }
}

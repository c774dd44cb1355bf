package dev.edgemodule;

/** The JSON payload of a direct-method call. */
public final class DirectMethodPayload {
    private final String json;

    DirectMethodPayload(String json) {
        this.json = json == null ? "null" : json;
    }

    /**
     * The payload as JSON text ({@code null} when the caller sent none).
     *
     * @return the JSON text
     */
    public String getPayloadAsJsonString() {
        return json;
    }

    /**
     * The payload as plain Java values: {@code Map<String,Object>}, {@code List<Object>},
     * {@code String}, {@code Long}, {@code Double}, {@code Boolean} or null.
     *
     * @return the parsed payload
     */
    public Object getPayload() {
        return Json.parse(json);
    }

    /**
     * The payload cast to {@code type} (e.g. {@code Map.class}).
     *
     * @param type the expected type
     * @param <T> the type
     * @return the parsed payload
     * @throws InvalidArgumentException when the payload has another type
     */
    public <T> T getPayload(Class<T> type) {
        Object value = getPayload();
        if (value != null && !type.isInstance(value)) {
            throw new InvalidArgumentException(
                    "the payload is a " + value.getClass().getSimpleName() + ", not a " + type.getSimpleName());
        }
        return type.cast(value);
    }

    @Override
    public String toString() {
        return json;
    }
}

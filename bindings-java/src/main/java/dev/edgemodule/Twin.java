package dev.edgemodule;

import java.util.Map;

/** The module twin: desired and reported properties, each with its {@code $version}. */
public final class Twin {
    private final TwinCollection desired;
    private final TwinCollection reported;

    private Twin(TwinCollection desired, TwinCollection reported) {
        this.desired = desired;
        this.reported = reported;
    }

    /**
     * The desired properties (set by the operator or the deployment manifest).
     *
     * @return the desired properties, with {@link TwinCollection#getVersion()}
     */
    public TwinCollection getDesiredProperties() {
        return desired;
    }

    /**
     * The reported properties (set by this module).
     *
     * @return the reported properties, with {@link TwinCollection#getVersion()}
     */
    public TwinCollection getReportedProperties() {
        return reported;
    }

    /** The twin from {@code {"desired":{...},"reported":{...}}}. */
    @SuppressWarnings("unchecked")
    static Twin fromJson(String json) {
        Map<String, Object> root = Json.parseObject(json);
        Object desired = root.get("desired");
        Object reported = root.get("reported");
        return new Twin(
                TwinCollection.fromMap(desired instanceof Map ? (Map<String, Object>) desired : new java.util.LinkedHashMap<>()),
                TwinCollection.fromMap(reported instanceof Map ? (Map<String, Object>) reported : new java.util.LinkedHashMap<>()));
    }

    @Override
    public String toString() {
        return "Twin{desired=" + desired + ", reported=" + reported + "}";
    }
}

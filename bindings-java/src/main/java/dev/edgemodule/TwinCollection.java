package dev.edgemodule;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One section of a module twin (desired or reported properties), or a desired-properties
 * patch: a map of property names to plain Java values ({@code Map}, {@code List},
 * {@code String}, {@code Long}, {@code Double}, {@code Boolean}, null), plus the section's
 * {@code $version}.
 */
public class TwinCollection extends LinkedHashMap<String, Object> {
    private static final long serialVersionUID = 1L;

    private Long version;

    /** An empty collection without a version (e.g. a reported-properties patch to send). */
    public TwinCollection() {}

    /**
     * A collection holding {@code properties}.
     *
     * @param properties the properties to copy
     */
    public TwinCollection(Map<String, ?> properties) {
        super(properties);
    }

    /**
     * The section's {@code $version}.
     *
     * @return the version, or null when this collection has none
     */
    public Long getVersion() {
        return version;
    }

    /**
     * The properties as JSON text (without {@code $version}).
     *
     * @return the JSON
     */
    public String toJson() {
        return Json.write(this);
    }

    /** A collection from a JSON object; its {@code $version} member becomes the version. */
    static TwinCollection fromJson(String json) {
        return fromMap(Json.parseObject(json));
    }

    TwinCollection withVersion(long version) {
        this.version = version;
        return this;
    }

    static TwinCollection fromMap(Map<String, Object> map) {
        TwinCollection collection = new TwinCollection();
        Object version = map.remove("$version");
        if (version instanceof Number) {
            collection.version = ((Number) version).longValue();
        }
        collection.putAll(map);
        return collection;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof TwinCollection)) {
            return super.equals(o);
        }
        TwinCollection other = (TwinCollection) o;
        return super.equals(o) && java.util.Objects.equals(version, other.version);
    }

    @Override
    public int hashCode() {
        return super.hashCode();
    }

    @Override
    public String toString() {
        return (version != null ? "v" + version + " " : "") + super.toString();
    }
}

package {{package}};

import java.util.Map;

/** The decisions of {{name}}, kept apart from the client so they can be tested alone. */
final class ModuleState {
    private volatile boolean enabled = true;
    private volatile long forwarded;

    boolean shouldForward() {
        return enabled;
    }

    void countForwarded() {
        forwarded++;
    }

    /** Takes {@code Enabled} from desired properties; the reported patch, or null. */
    Map<String, Object> applyDesired(Map<String, Object> desired) {
        Object value = desired == null ? null : desired.get("Enabled");
        if (!(value instanceof Boolean)) {
            return null;
        }
        enabled = (Boolean) value;
        return Map.of("Enabled", enabled);
    }

    Map<String, Object> status() {
        return Map.of("enabled", enabled, "forwarded", forwarded);
    }
}

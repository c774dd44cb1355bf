package dev.edgemodule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** S05: get the twin (desired from the manifest), patch reported properties, versions move. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class S05TwinTest {
    static Hub hub;
    static ModuleClient receiver;

    @BeforeAll
    static void start() {
        hub = Hub.start();
        receiver = hub.client("receiver");
        receiver.open();
    }

    @AfterAll
    static void stop() {
        receiver.close();
        hub.close();
    }

    @Test
    @SuppressWarnings("unchecked")
    void s05DesiredComesFromTheManifest() {
        Twin twin = receiver.getTwin();
        TwinCollection desired = twin.getDesiredProperties();
        assertEquals(30L, desired.get("threshold"));
        assertEquals("C", ((Map<String, Object>) desired.get("nested")).get("unit"));
        assertFalse(desired.containsKey("$version"));
        Object operatorVersion = ((Map<String, Object>) hub.twin("receiver").get("desired")).get("$version");
        assertEquals(operatorVersion, desired.getVersion());
    }

    @Test
    void s05ReportedPatchesMoveTheVersion() throws Exception {
        long before = receiver.getTwin().getReportedProperties().getVersion();
        Map<String, Object> patch = new LinkedHashMap<>();
        patch.put("status", "ok");
        patch.put("count", 3);
        patch.put("ratio", 0.5);
        patch.put("tags", List.of("a", "b"));
        patch.put("nested", Map.of("deep", true));
        receiver.updateReportedProperties(patch);
        TwinCollection reported = receiver.getTwin().getReportedProperties();
        assertEquals("ok", reported.get("status"));
        assertEquals(3L, reported.get("count"));
        assertEquals(0.5, reported.get("ratio"));
        assertEquals(List.of("a", "b"), reported.get("tags"));
        assertEquals(Map.of("deep", true), reported.get("nested"));
        assertTrue(reported.getVersion() > before, reported.toString());

        // Async, and null removes a property.
        Map<String, Object> removal = new LinkedHashMap<>();
        removal.put("status", null);
        receiver.updateReportedPropertiesAsync(removal).get(20, TimeUnit.SECONDS);
        Twin twin = receiver.getTwinAsync().get(20, TimeUnit.SECONDS);
        assertFalse(twin.getReportedProperties().containsKey("status"));
        assertTrue(twin.getReportedProperties().getVersion() > reported.getVersion());
        assertEquals(twin.getReportedProperties().getVersion(),
                ((Map<?, ?>) hub.twin("receiver").get("reported")).get("$version"));
    }

    @Test
    void s05APatchThatIsNotJsonIsRejectedBeforeSending() {
        Map<String, Object> patch = Map.of("bad", Double.NaN);
        InvalidArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
                InvalidArgumentException.class, () -> receiver.updateReportedProperties(patch));
        assertEquals(1, e.code());
    }
}

package dev.edgemodule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** S06: a desired patch pushed by the operator reaches the callback with its $version. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class S06DesiredTest {
    static Hub hub;
    static ModuleClient receiver;
    static final BlockingQueue<TwinCollection> patches = new LinkedBlockingQueue<>();

    @BeforeAll
    static void start() {
        hub = Hub.start();
        receiver = hub.client("receiver");
        receiver.subscribeToDesiredProperties(patches::add);
        receiver.open();
    }

    @AfterAll
    static void stop() {
        receiver.close();
        hub.close();
    }

    @Test
    @SuppressWarnings("unchecked")
    void s06PatchesArriveWithTheirVersion() {
        Map<String, Object> twin = hub.setDesired("receiver", "{\"threshold\":42,\"mode\":\"fast\"}");
        long version = ((Number) ((Map<String, Object>) twin.get("desired")).get("$version")).longValue();
        TwinCollection patch = Wait.next(patches, 20);
        assertEquals(42L, patch.get("threshold"));
        assertEquals("fast", patch.get("mode"));
        assertEquals(version, patch.getVersion());
        assertEquals(version, receiver.getTwin().getDesiredProperties().getVersion());

        hub.setDesired("receiver", "{\"mode\":null}");
        TwinCollection removal = Wait.next(patches, 20);
        assertEquals(version + 1, removal.getVersion());
        assertTrue(removal.containsKey("mode"));
        assertNull(removal.get("mode"));

        // Unsubscribing stops delivery.
        receiver.subscribeToDesiredProperties(null);
        hub.setDesired("receiver", "{\"threshold\":43}");
        Wait.sleep(500);
        assertEquals(0, patches.size());
    }
}

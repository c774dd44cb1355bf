package dev.edgemodule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** S01: connect from the IoT Edge environment (IOTEDGE_* + the workload API). */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class S01EnvironmentTest {
    static Hub hub;

    @BeforeAll
    static void startHub() {
        hub = Hub.start();
    }

    @AfterAll
    static void stopHub() {
        hub.close();
    }

    @Test
    void s01ConnectsThroughTheWorkloadApi() {
        Map<String, String> env = hub.env("sender", "workload");
        assertTrue(env.get("IOTEDGE_WORKLOADURI").startsWith("unix://"), env.toString());
        assertTrue(!env.containsKey("EdgeHubConnectionString"));
        try (ModuleClient client = ModuleClient.createFromEnvironment(env)) {
            assertEquals("edge-device", client.getDeviceId());
            assertEquals("sender", client.getModuleId());
            assertEquals(IotHubConnectionStatus.DISCONNECTED, client.getConnectionStatus());
            client.open();
            assertEquals(IotHubConnectionStatus.CONNECTED, client.getConnectionStatus());
            assertEquals(IotHubConnectionStatusChangeReason.CONNECTION_OK, client.getConnectionStatusReason());
            client.sendEvent(new Message("{}"), "up");
        }
    }

    @Test
    void s01OpenAsyncCompletes() throws Exception {
        try (ModuleClient client = hub.client("receiver")) {
            client.openAsync().get(30, TimeUnit.SECONDS);
            assertEquals(IotHubConnectionStatus.CONNECTED, client.getConnectionStatus());
        }
    }

    @Test
    void s01AMissingVariableIsAConfigErrorNamingIt() {
        Map<String, String> env = new HashMap<>(hub.env("sender", "workload"));
        env.remove("IOTEDGE_MODULEID");
        ConfigException e = assertThrows(ConfigException.class, () -> ModuleClient.createFromEnvironment(env));
        assertEquals(2, e.code());
        assertEquals("CONFIG", e.errorName());
        assertTrue(e.getMessage().contains("IOTEDGE_MODULEID"), e.getMessage());
    }
}

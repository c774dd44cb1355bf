package dev.edgemodule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** S02: connect from EdgeHubConnectionString + EdgeModuleCACertificateFile, or a string + PEM. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class S02ConnectionStringTest {
    static Hub hub;
    static Map<String, String> env;

    @BeforeAll
    static void startHub() {
        hub = Hub.start();
        env = hub.env("sender", "connection-string");
    }

    @AfterAll
    static void stopHub() {
        hub.close();
    }

    private static void connectAndSend(ModuleClient client) {
        client.open();
        assertEquals(IotHubConnectionStatus.CONNECTED, client.getConnectionStatus());
        client.sendEvent(new Message("{}"), "up");
    }

    @Test
    void s02TheSimulatorEnvironmentForm() {
        String cs = env.get("EdgeHubConnectionString");
        assertTrue(cs.contains("ModuleId=sender") && cs.contains("SharedAccessKey="), cs);
        assertFalse(env.containsKey("IOTEDGE_WORKLOADURI"));
        try (ModuleClient client = ModuleClient.createFromEnvironment(env)) {
            assertEquals("sender", client.getModuleId());
            connectAndSend(client);
        }
    }

    @Test
    void s02AConnectionStringWithATrustBundleAndPorts() throws Exception {
        String pem = new String(Files.readAllBytes(Paths.get(env.get("EdgeModuleCACertificateFile"))));
        assertTrue(pem.contains("BEGIN CERTIFICATE"));
        ClientOptions options = new ClientOptions()
                .trustBundlePem(pem)
                .mqttPort(hub.mqttPort)
                .httpsPort(hub.httpsPort)
                .productInfo("java-tests/1.0");
        try (ModuleClient client = ModuleClient.createFromConnectionString(env.get("EdgeHubConnectionString"), options)) {
            connectAndSend(client);
        }
    }

    @Test
    void s02WithoutATrustBundleItIsAConfigError() {
        // The test JVM has no EdgeModuleCACertificateFile, so nothing says whom to trust.
        ConfigException e = assertThrows(ConfigException.class,
                () -> ModuleClient.createFromConnectionString(env.get("EdgeHubConnectionString")));
        assertTrue(e.getMessage().contains("EdgeModuleCACertificateFile"), e.getMessage());
        assertThrows(ConfigException.class,
                () -> ModuleClient.createFromConnectionString("HostName=h;DeviceId=d;SharedAccessKey=a2V5"));
    }
}

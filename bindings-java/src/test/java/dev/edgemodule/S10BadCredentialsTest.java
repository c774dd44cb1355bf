package dev.edgemodule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** S10: bad credentials are a typed error, at once, and the status says why. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class S10BadCredentialsTest {
    static Hub hub;
    static Map<String, String> env;
    static ClientOptions options;

    @BeforeAll
    static void start() throws Exception {
        hub = Hub.start();
        env = hub.env("sender", "connection-string");
        String pem = new String(Files.readAllBytes(Paths.get(env.get("EdgeModuleCACertificateFile"))));
        options = new ClientOptions().trustBundlePem(pem).mqttPort(hub.mqttPort).httpsPort(hub.httpsPort)
                .operationTimeout(Duration.ofSeconds(3));
    }

    @AfterAll
    static void stop() {
        hub.close();
    }

    @Test
    void s10AWrongKeyIsUnauthorizedWithoutHanging() {
        String cs = env.get("EdgeHubConnectionString");
        String wrong = cs.replaceAll("SharedAccessKey=[^;]*", "SharedAccessKey=d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXk=");
        BlockingQueue<ConnectionStatusChangeContext> changes = new LinkedBlockingQueue<>();
        try (ModuleClient client = ModuleClient.createFromConnectionString(wrong, options)) {
            client.setConnectionStatusChangeCallback(changes::add);
            long start = System.nanoTime();
            UnauthorizedException e = assertThrows(UnauthorizedException.class, client::open);
            assertEquals(3, e.code());
            assertTrue(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start) < 10, "no hang");
            assertEquals(IotHubConnectionStatus.DISCONNECTED, client.getConnectionStatus());
            assertEquals(IotHubConnectionStatusChangeReason.BAD_CREDENTIAL, client.getConnectionStatusReason());
            ConnectionStatusChangeContext change = Wait.next(changes, 10);
            assertEquals(IotHubConnectionStatus.DISCONNECTED, change.getNewStatus());
            assertEquals(IotHubConnectionStatusChangeReason.BAD_CREDENTIAL, change.getNewStatusReason());
            // Operations fail too, promptly.
            try {
                client.sendEvent(new Message("x"), "output1");
                fail("sent with a wrong key");
            } catch (UnauthorizedException | EdgeConnectionException | EdgeTimeoutException expected) {
                // the kinds a refused client reports
            }
        }
        try (ModuleClient client = ModuleClient.createFromConnectionString(cs, options)) {
            client.open();
        }
    }
}

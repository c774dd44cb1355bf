package dev.edgemodule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The status tells the truth about retries: while the hub is away the client reports
 * DISCONNECTED_RETRYING with a reason, and once the configured limit is reached
 * DISCONNECTED / RETRY_EXPIRED (never "retrying" for a client that stopped).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RetryExpiredTest {
    @Test
    void givingUpIsReportedAsRetryExpired() {
        try (Hub hub = Hub.start()) {
            ClientOptions options = new ClientOptions()
                    .retryDelays(Duration.ofMillis(100), Duration.ofMillis(200))
                    .retryGiveUpAfter(Duration.ofSeconds(1))
                    .operationTimeout(Duration.ofSeconds(10));
            List<ConnectionStatusChangeContext> changes = new CopyOnWriteArrayList<>();
            try (ModuleClient client = hub.client("sender", options)) {
                client.setConnectionStatusChangeCallback(changes::add);
                hub.stop(); // created (trust bundle fetched), then the hub goes away
                assertThrows(EdgeConnectionException.class, client::open);
                Wait.until("the final status", Duration.ofSeconds(10),
                        () -> client.getConnectionStatus() == IotHubConnectionStatus.DISCONNECTED);
                assertEquals(IotHubConnectionStatusChangeReason.RETRY_EXPIRED, client.getConnectionStatusReason());
                Wait.until("the callback saw it", Duration.ofSeconds(10), () -> !changes.isEmpty()
                        && changes.get(changes.size() - 1).getNewStatusReason()
                                == IotHubConnectionStatusChangeReason.RETRY_EXPIRED);
                ConnectionStatusChangeContext first = changes.get(0);
                assertEquals(IotHubConnectionStatus.DISCONNECTED_RETRYING, first.getNewStatus());
                assertEquals(IotHubConnectionStatusChangeReason.NO_NETWORK, first.getNewStatusReason());
                ConnectionStatusChangeContext last = changes.get(changes.size() - 1);
                assertEquals(IotHubConnectionStatus.DISCONNECTED, last.getNewStatus());
                assertEquals(IotHubConnectionStatus.DISCONNECTED_RETRYING, last.getPreviousStatus());
            }
        }
    }
}

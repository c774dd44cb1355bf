package dev.edgemodule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * S23: with the hub gone and a short give-up time, the client stops with CONNECTION (status
 * DISCONNECTED, reason RETRY_EXPIRED — never "retrying" for a client that stopped), and every
 * operation waiting for the connection fails, once.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class S23RetryGiveUpTest {
    static ClientOptions giveUpFast() {
        return new ClientOptions()
                .retryDelays(Duration.ofMillis(100), Duration.ofMillis(200))
                .retryMultiplier(1.5)
                .retryJitter(0)
                .retryGiveUpAfter(Duration.ofSeconds(1))
                .operationTimeout(Duration.ofSeconds(20));
    }

    @Test
    void s23GivingUpIsReportedAsRetryExpired() {
        try (Hub hub = Hub.start()) {
            List<ConnectionStatusChangeContext> changes = new CopyOnWriteArrayList<>();
            try (ModuleClient client = hub.client("sender", giveUpFast())) {
                client.setConnectionStatusChangeCallback(changes::add);
                hub.stop(); // created (trust bundle fetched), then the hub goes away
                EdgeConnectionException e = assertThrows(EdgeConnectionException.class, client::open);
                assertTrue(e.isTransient());
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

    @Test
    void s23PendingOperationsFailOnceWithConnection() throws Exception {
        try (Hub hub = Hub.start(); ModuleClient client = hub.client("sender", giveUpFast())) {
            client.open();
            hub.stop();
            Wait.until("the client noticed", Duration.ofSeconds(15),
                    () -> client.getConnectionStatus() != IotHubConnectionStatus.CONNECTED);
            List<CompletableFuture<?>> pending = new ArrayList<>();
            List<Integer> completions = new CopyOnWriteArrayList<>();
            for (int i = 0; i < 3; i++) {
                CompletableFuture<Void> f = client.sendEventAsync(new Message("m" + i), "up");
                int n = i;
                f.whenComplete((v, t) -> completions.add(n));
                pending.add(f);
            }
            for (CompletableFuture<?> f : pending) {
                ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(20, TimeUnit.SECONDS));
                assertInstanceOf(EdgeConnectionException.class, e.getCause(), e.getCause().toString());
            }
            Wait.sleep(300);
            assertEquals(3, completions.size(), "each completed once: " + completions);
            assertEquals(IotHubConnectionStatusChangeReason.RETRY_EXPIRED, client.getConnectionStatusReason());
            assertThrows(EdgeConnectionException.class, () -> client.sendEvent(new Message("later"), "up"));
        }
    }
}

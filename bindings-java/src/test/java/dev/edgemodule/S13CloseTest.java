package dev.edgemodule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * S13: closing with work in flight: every operation completes or fails with CLOSED, no
 * callback runs after close returns (also when closed from inside a callback). That the
 * process exits is {@link JvmExitTest}.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class S13CloseTest {
    static Hub hub;

    @BeforeAll
    static void start() {
        hub = Hub.start();
    }

    @AfterAll
    static void stop() {
        hub.close();
    }

    @Test
    void s13InFlightOperationsCompleteOrFailWithClosed() {
        ModuleClient sender = hub.client("sender");
        sender.open();
        List<CompletableFuture<Void>> futures = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            futures.add(sender.sendEventAsync(new Message("payload " + i), "up"));
        }
        sender.close();
        int ok = 0;
        int closed = 0;
        for (CompletableFuture<Void> f : futures) {
            assertTrue(f.isDone(), "every future is complete when close returns");
            try {
                f.join();
                ok++;
            } catch (CompletionException e) {
                assertInstanceOf(ClientClosedException.class, e.getCause());
                closed++;
            }
        }
        assertEquals(40, ok + closed);
    }

    @Test
    void s13NoCallbackRunsAfterCloseReturns() {
        AtomicInteger calls = new AtomicInteger();
        AtomicBoolean closedFlag = new AtomicBoolean();
        AtomicInteger late = new AtomicInteger();
        ModuleClient receiver = hub.client("receiver");
        receiver.setMessageCallback("input1", m -> {
            if (closedFlag.get()) {
                late.incrementAndGet();
            }
            calls.incrementAndGet();
            Wait.sleep(50);
            return IotHubMessageResult.COMPLETE;
        });
        receiver.open();
        try (ModuleClient sender = hub.client("sender")) {
            for (int i = 0; i < 20; i++) {
                sender.sendEvent(new Message("m" + i), "output1");
            }
        }
        Wait.until("the slow callback started", Duration.ofSeconds(20), () -> calls.get() >= 2);
        receiver.close();
        closedFlag.set(true);
        int after = calls.get();
        Wait.sleep(400);
        assertEquals(0, late.get());
        assertEquals(after, calls.get());
        assertTrue(after < 20, "the backlog was cut short by close");
    }

    @Test
    void s13CloseFromInsideItsOwnCallback() {
        CompletableFuture<Boolean> closedInside = new CompletableFuture<>();
        ModuleClient client = hub.client("caller");
        client.setConnectionStatusChangeCallback(c -> {
            if (c.getNewStatus() == IotHubConnectionStatus.CONNECTED) {
                long start = System.nanoTime();
                client.close(); // returns at once on the callback thread
                closedInside.complete(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 2000);
            }
        });
        client.openAsync();
        assertTrue(closedInside.join());
        Wait.until("the close finished", Duration.ofSeconds(10),
                () -> client.getConnectionStatus() == IotHubConnectionStatus.CLOSED);
        assertThrows(ClientClosedException.class, client::open);
    }

    @Test
    void s13AClosedClientRefusesEverythingAndCloseIsIdempotent() {
        ModuleClient client = hub.client("sender");
        client.close();
        client.close();
        assertEquals(IotHubConnectionStatus.CLOSED, client.getConnectionStatus());
        assertEquals(IotHubConnectionStatusChangeReason.CLIENT_CLOSE, client.getConnectionStatusReason());
        ClientClosedException e = assertThrows(ClientClosedException.class, client::open);
        assertEquals(6, e.code());
        assertThrows(ClientClosedException.class, () -> client.sendEvent(new Message("x"), "up"));
        assertThrows(ClientClosedException.class,
                () -> client.setMessageCallback(m -> IotHubMessageResult.COMPLETE));
        ExecutionException async = assertThrows(ExecutionException.class,
                () -> client.getTwinAsync().get(10, TimeUnit.SECONDS));
        assertInstanceOf(ClientClosedException.class, async.getCause());
    }
}

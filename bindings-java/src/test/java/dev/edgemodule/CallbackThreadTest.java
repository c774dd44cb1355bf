package dev.edgemodule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Where callbacks and completions run, what may be done there, and the GC safety net:
 * handlers on one daemon thread per registration, status callbacks and future completions on
 * the client's daemon callback thread.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CallbackThreadTest {
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
    void futuresCompleteOnTheDaemonCallbackThread() throws Exception {
        try (ModuleClient client = hub.client("sender")) {
            Thread thread = client.openAsync().thenApply(v -> Thread.currentThread()).get(30, TimeUnit.SECONDS);
            assertEquals("edgemodule-callbacks-sender", thread.getName());
            assertTrue(thread.isDaemon());
        }
    }

    @Test
    void handlersRunOnTheirOwnDaemonThreadAndMayWaitForTheClientsFutures() {
        BlockingQueue<Object> outcome = new LinkedBlockingQueue<>();
        try (ModuleClient receiver = hub.client("receiver"); ModuleClient sender = hub.client("sender")) {
            receiver.setMessageCallback("input1", m -> {
                try {
                    Thread me = Thread.currentThread();
                    outcome.add(me.getName() + (me.isDaemon() ? " (daemon)" : ""));
                    // A blocking call works inside a callback ...
                    receiver.updateReportedProperties(java.util.Map.of("seen", m.getBodyAsString()));
                    // ... and so does waiting for a future: it completes on the client's
                    // callback thread, not on this handler's.
                    outcome.add(receiver.getTwinAsync().join().getReportedProperties().get("seen"));
                } catch (RuntimeException e) {
                    outcome.add(e);
                }
                return IotHubMessageResult.COMPLETE;
            });
            receiver.open();
            sender.sendEvent(new Message("hello"), "output1");
            assertEquals("edgemodule-receiver-input:input1 (daemon)", Wait.next(outcome, 20));
            assertEquals("hello", Wait.next(outcome, 20));
        }
    }

    @Test
    void continuationsMayNotWaitForTheClientsFuturesEither() throws Exception {
        try (ModuleClient client = hub.client("receiver")) {
            // The first thing this client's callback thread ever runs is this continuation.
            CompletableFuture<Object> nested = client.openAsync().thenApply(v -> client.getTwinAsync().join());
            java.util.concurrent.ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(
                    java.util.concurrent.ExecutionException.class, () -> nested.get(20, TimeUnit.SECONDS));
            assertInstanceOf(IllegalStateException.class, e.getCause());
            // Composing instead of waiting works.
            Twin twin = client.openAsync().thenCompose(v -> client.getTwinAsync()).get(20, TimeUnit.SECONDS);
            assertEquals(30L, twin.getDesiredProperties().get("threshold"));
        }
    }

    @Test
    void anUnreachableClientIsClosedByTheGarbageCollector() {
        WeakReference<ModuleClient> ref = openAndForget();
        Wait.until("the client was collected", Duration.ofSeconds(30), () -> {
            System.gc();
            return ref.get() == null;
        });
        Wait.until("its callback thread ended", Duration.ofSeconds(20), () -> !threadExists("edgemodule-callbacks-caller"));
        assertNull(ref.get());
    }

    private static WeakReference<ModuleClient> openAndForget() {
        ModuleClient client = hub.client("caller");
        client.setMessageCallback(m -> IotHubMessageResult.COMPLETE);
        client.setConnectionStatusChangeCallback(c -> { });
        client.open();
        assertTrue(threadExists("edgemodule-callbacks-caller"));
        return new WeakReference<>(client);
    }

    private static boolean threadExists(String name) {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals(name) && t.isAlive());
    }

    @Test
    void aContinuationThatThrowsDoesNotHurt() throws Exception {
        try (ModuleClient client = hub.client("sender")) {
            CompletableFuture<Void> f = client.sendEventAsync(new Message("x"), "up");
            CompletableFuture<Object> derived = f.thenApply(v -> {
                throw new IllegalStateException("continuation failure (expected by the test)");
            });
            f.get(20, TimeUnit.SECONDS);
            java.util.concurrent.ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(
                    java.util.concurrent.ExecutionException.class, () -> derived.get(20, TimeUnit.SECONDS));
            assertInstanceOf(IllegalStateException.class, e.getCause());
            client.sendEvent(new Message("still fine"), "up");
        }
    }
}

package dev.edgemodule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * S15: a message callback that keeps failing (throwing, returning ABANDON or null) is called
 * again by the core with backoff, a bounded number of times; then the message is
 * acknowledged, dropped and reported to the background-error callback. PUBACKs stay in
 * order and later messages are still processed.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class S15RaisingHandlerTest {
    static final long BASE_MS = 80;

    @Test
    void s15FailingCallbackIsRetriedWithBackoffThenAcknowledgedAndReported() throws Exception {
        try (Hub hub = Hub.start();
                ModuleClient ordered = hub.client("ordered",
                        new ClientOptions().redeliveryDelay(Duration.ofMillis(BASE_MS)));
                ModuleClient sender = hub.client("sender")) {
            BlockingQueue<BackgroundError> errors = new LinkedBlockingQueue<>();
            Map<String, List<Long>> calls = new ConcurrentHashMap<>();
            BlockingQueue<String> done = new LinkedBlockingQueue<>();
            ordered.setBackgroundErrorCallback(errors::add);
            ordered.setMessageCallback("first", m -> {
                String id = m.getMessageId();
                List<Long> times = calls.computeIfAbsent(id, k -> new CopyOnWriteArrayList<>());
                times.add(System.nanoTime());
                int attempt = times.size();
                if (id.equals("poison")) {
                    if (attempt == 2) {
                        return IotHubMessageResult.ABANDON;
                    }
                    if (attempt == 3) {
                        return null;
                    }
                    throw new IllegalStateException("cannot process, attempt " + attempt + " (expected by the test)");
                }
                if (id.equals("flaky") && attempt <= 2) {
                    throw new IllegalStateException("not yet (expected by the test)");
                }
                done.add(id);
                return IotHubMessageResult.COMPLETE;
            });
            ordered.setMethodHandler("ping", (name, payload) -> new DirectMethodResponse(200, null));
            ordered.open();

            for (String id : List.of("poison", "flaky")) {
                sender.sendEvent(new Message(id).setMessageId(id), "first");
            }
            Traffic.sendNumbered(sender, "first", "after", 3);
            assertEquals(List.of(200L, 200L, 200L, 200L), Traffic.callRepeatedly(hub, "ordered", "ping", 4));

            List<String> processed = List.of(Wait.next(done, 30), Wait.next(done, 30), Wait.next(done, 30),
                    Wait.next(done, 30));
            assertEquals(List.of("flaky", "after000", "after001", "after002"), processed);

            BackgroundError error = Wait.next(errors, 10);
            assertEquals(BackgroundError.Kind.HANDLER_FAILED, error.getKind(), error.toString());
            assertEquals(BackgroundError.Family.INPUT, error.getFamily());
            assertEquals("first", error.getName());
            assertTrue(error.getMessage().contains("attempt 4"), error.getMessage());

            List<Long> poison = calls.get("poison");
            assertEquals(4, poison.size(), "bounded retries: handler_attempts = 4 by default");
            for (int i = 1; i < poison.size(); i++) {
                long waitedMs = TimeUnit.NANOSECONDS.toMillis(poison.get(i) - poison.get(i - 1));
                assertTrue(waitedMs >= BASE_MS << (i - 1), "retry " + i + " after " + waitedMs + " ms (doubling)");
            }
            assertEquals(3, calls.get("flaky").size());
            assertTrue(calls.get("flaky").get(0) >= poison.get(3), "later messages wait for the failing one");

            Map<String, Object> seen = hub.awaitInspect("ordered", 20, "every PUBACK", v -> Hub.acks(v) >= 5 + 4);
            Traffic.assertAcksInOrder(seen);
            assertEquals(0, Hub.counter(seen, "redelivered"), "the hub had no reason to resend: " + seen);
            Traffic.sendNumbered(sender, "first", "last", 1);
            assertEquals("last000", Wait.next(done, 20));
        }
    }

    @Test
    void s15HandlerAttemptsIsTheCoreOption() throws Exception {
        try (Hub hub = Hub.start();
                ModuleClient ordered = hub.client("ordered",
                        new ClientOptions().redeliveryDelay(Duration.ofMillis(10)).handlerAttempts(2));
                ModuleClient sender = hub.client("sender")) {
            BlockingQueue<BackgroundError> errors = new LinkedBlockingQueue<>();
            AtomicInteger calls = new AtomicInteger();
            ordered.setBackgroundErrorCallback(errors::add);
            ordered.setMessageCallback("second", m -> {
                calls.incrementAndGet();
                return IotHubMessageResult.ABANDON;
            });
            ordered.open();
            Traffic.sendNumbered(sender, "second", "once", 1);
            BackgroundError error = Wait.next(errors, 20);
            assertEquals(BackgroundError.Kind.HANDLER_FAILED, error.getKind());
            assertTrue(error.getMessage().contains("ABANDON"), error.getMessage());
            assertEquals(2, calls.get(), "two calls, as configured");
        }
    }
}

package dev.edgemodule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * S16: a callback slower than the arrival of the next messages: later messages wait for it,
 * PUBACKs stay in order, nothing is lost — and other registrations (a method handler, the
 * desired-properties callback) are not held up meanwhile: each registration runs on its own
 * thread.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class S16SlowHandlerTest {
    static final int COUNT = 6;

    @Test
    void s16SlowCallbackDelaysLaterMessagesLosesNothingAndBlocksNoOtherHandler() throws Exception {
        try (Hub hub = Hub.start(); ModuleClient ordered = hub.client("ordered");
                ModuleClient sender = hub.client("sender")) {
            List<String> order = new CopyOnWriteArrayList<>();
            AtomicInteger running = new AtomicInteger();
            AtomicInteger overlaps = new AtomicInteger();
            CountDownLatch firstStarted = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            BlockingQueue<Long> patches = new LinkedBlockingQueue<>();
            ordered.setMessageCallback("first", m -> {
                if (running.getAndIncrement() != 0) {
                    overlaps.incrementAndGet();
                }
                firstStarted.countDown();
                try {
                    // The first message is held until the test has seen the others respond.
                    release.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                Wait.sleep(100);
                running.decrementAndGet();
                order.add(m.getMessageId());
                return IotHubMessageResult.COMPLETE;
            });
            ordered.setMessageCallback("second", m -> {
                order.add(m.getMessageId());
                return IotHubMessageResult.COMPLETE;
            });
            ordered.setMethodHandler("ping", (name, payload) -> new DirectMethodResponse(200, null));
            ordered.subscribeToDesiredProperties(patch -> patches.add(patch.getVersion()));
            ordered.open();

            Traffic.sendNumbered(sender, "first", "slow", COUNT);
            Traffic.sendNumbered(sender, "second", "fast", 1);
            assertTrue(firstStarted.await(20, TimeUnit.SECONDS), "the slow callback started");
            // While it is held: a method call is answered and a desired patch handled.
            assertEquals(List.of(200L, 200L, 200L), Traffic.callRepeatedly(hub, "ordered", "ping", 3));
            Map<String, Object> twin = hub.setDesired("ordered", "{\"threshold\":1}");
            @SuppressWarnings("unchecked")
            long version = ((Number) ((Map<String, Object>) twin.get("desired")).get("$version")).longValue();
            assertEquals(version, Wait.next(patches, 20));
            assertEquals(List.of(), order, "the held message holds up the messages behind it");
            release.countDown();

            Wait.until("every message handled", Duration.ofSeconds(30), () -> order.size() >= COUNT + 1);
            List<String> slow = order.stream().filter(id -> id.startsWith("slow")).toList();
            assertEquals(Traffic.numbered("slow", COUNT), slow, "in order, each once");
            assertTrue(order.contains("fast000"), order.toString());
            assertEquals(0, overlaps.get(), "one at a time");

            Map<String, Object> seen = hub.awaitInspect("ordered", 20, "every PUBACK",
                    v -> Hub.acks(v) >= COUNT + 1 + 3 + 1);
            Traffic.assertAcksInOrder(seen);
            assertEquals(0, Hub.counter(seen, "redelivered"), seen.toString());
        }
    }
}

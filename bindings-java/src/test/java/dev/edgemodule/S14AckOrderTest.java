package dev.edgemodule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * S14: messages on two inputs with per-input callbacks that take different times, with
 * method calls arriving in between: each callback sees its input's messages one at a time,
 * in order, and the hub saw every PUBACK for its oldest outstanding PUBLISH.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class S14AckOrderTest {
    static final int PER_INPUT = 20;
    static final int CALLS = 10;

    /** A callback recording message ids, taking {@code pause} ms, checking it never overlaps itself. */
    static MessageCallback recorder(long pause, List<String> seen, List<String> overlaps) {
        AtomicInteger running = new AtomicInteger();
        return m -> {
            if (running.getAndIncrement() != 0) {
                overlaps.add(m.getMessageId());
            }
            Wait.sleep(pause);
            running.decrementAndGet();
            seen.add(m.getMessageId());
            return IotHubMessageResult.COMPLETE;
        };
    }

    @Test
    void s14PerInputCallbacksAcknowledgeInArrivalOrder() throws Exception {
        try (Hub hub = Hub.start(); ModuleClient ordered = hub.client("ordered");
                ModuleClient sender = hub.client("sender")) {
            List<String> first = new CopyOnWriteArrayList<>();
            List<String> second = new CopyOnWriteArrayList<>();
            List<String> overlaps = new CopyOnWriteArrayList<>();
            ordered.setMessageCallback("first", recorder(15, first, overlaps));
            ordered.setMessageCallback("second", recorder(1, second, overlaps));
            ordered.setMethodHandler("ping", (name, payload) -> new DirectMethodResponse(200, null));
            ordered.open();

            CompletableFuture<Void> a = CompletableFuture.runAsync(() -> Traffic.sendNumbered(sender, "first", "a", PER_INPUT));
            CompletableFuture<Void> b = CompletableFuture.runAsync(() -> Traffic.sendNumbered(sender, "second", "b", PER_INPUT));
            List<Long> statuses = Traffic.callRepeatedly(hub, "ordered", "ping", CALLS);
            a.get(60, TimeUnit.SECONDS);
            b.get(60, TimeUnit.SECONDS);
            assertTrue(statuses.stream().allMatch(s -> s == 200), statuses.toString());

            Wait.until("every message handled", java.time.Duration.ofSeconds(60),
                    () -> first.size() + second.size() >= 2 * PER_INPUT);
            assertEquals(Traffic.numbered("a", PER_INPUT), first, "input first in send order, each once");
            assertEquals(Traffic.numbered("b", PER_INPUT), second, "input second in send order, each once");
            assertEquals(List.of(), overlaps, "one message at a time per callback");

            Map<String, Object> seen = hub.awaitInspect("ordered", 20, "every PUBACK",
                    v -> Hub.acks(v) >= 2 * PER_INPUT + CALLS);
            Traffic.assertAcksInOrder(seen);
            assertEquals(0, Hub.counter(seen, "redelivered"), seen.toString());
        }
    }
}

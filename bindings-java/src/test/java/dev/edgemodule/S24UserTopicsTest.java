package dev.edgemodule;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * S24: user-defined topics through the hub's broker policy (in the shared deployment
 * {@code sender} may publish to alerts/# but not alerts/denied/#, {@code receiver} may
 * subscribe to alerts/#): a message is acknowledged after the callback returns, closing the
 * subscription sends UNSUBSCRIBE and stops delivery, a denied publish fails with
 * UNAUTHORIZED.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class S24UserTopicsTest {
    Hub hub;
    ModuleClient sender;
    ModuleClient receiver;

    @BeforeEach
    void start() {
        hub = Hub.start();
        sender = hub.client("sender");
        receiver = hub.client("receiver");
    }

    @AfterEach
    void stop() {
        sender.close();
        receiver.close();
        hub.close();
    }

    private boolean subscribed(String module, String filter) {
        Object subscriptions = hub.inspect(module).get("subscriptions");
        return subscriptions instanceof List && ((List<?>) subscriptions).contains(filter);
    }

    @Test
    void s24PublishedMessagesReachTheSubscriber() throws Exception {
        BlockingQueue<String> got = new LinkedBlockingQueue<>();
        Subscription subscription = receiver.subscribe("alerts/#",
                (topic, payload) -> got.add(topic + "=" + new String(payload, StandardCharsets.UTF_8)));
        assertEquals("alerts/#", subscription.getTopicFilter());
        sender.publish("alerts/fire", "hot".getBytes(StandardCharsets.UTF_8));
        assertEquals("alerts/fire=hot", Wait.next(got, 20));
        sender.publishAsync("alerts/flood", new byte[] {1, 2}, 0).get(20, TimeUnit.SECONDS);
        String second = Wait.next(got, 20);
        assertEquals("alerts/flood=", second.substring(0, "alerts/flood=".length()));
        assertArrayEquals(new byte[] {1, 2}, second.substring("alerts/flood=".length()).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void s24AcknowledgedAfterTheCallbackReturnsAndUnsubscribeStopsDelivery() throws Exception {
        BlockingQueue<String> seen = new LinkedBlockingQueue<>();
        Semaphore gate = new Semaphore(0);
        Subscription subscription = receiver.subscribe("alerts/#", (topic, payload) -> {
            seen.add(topic);
            gate.acquireUninterruptibly(); // returns only when the test lets it
        });
        assertTrue(subscribed("receiver", "alerts/#"));
        long acks = Hub.acks(hub.inspect("receiver"));
        for (int i = 0; i < 3; i++) {
            sender.publish("alerts/" + i, new byte[] {'x'});
        }
        for (int i = 0; i < 3; i++) {
            assertEquals("alerts/" + i, Wait.next(seen, 10));
            // The callback has the message but has not returned: not acknowledged yet.
            Wait.sleep(200);
            assertEquals(acks + i, Hub.acks(hub.inspect("receiver")), "acknowledged only after the callback returns");
            gate.release();
            long expected = acks + i + 1;
            hub.awaitInspect("receiver", 10, "acknowledged", v -> Hub.acks(v) == expected);
        }
        Traffic.assertAcksInOrder(hub.inspect("receiver"));

        // Closing the subscription sends UNSUBSCRIBE: the hub forgets the filter.
        subscription.close();
        assertFalse(subscribed("receiver", "alerts/#"), "UNSUBSCRIBE sent");
        subscription.close(); // idempotent
        sender.publish("alerts/late", new byte[] {'x'});
        assertNull(seen.poll(300, TimeUnit.MILLISECONDS), "nothing after unsubscribe");
    }

    @Test
    void s24APublishThePolicyDeniesFailsUnauthorized() {
        long start = System.nanoTime();
        UnauthorizedException e = assertThrows(UnauthorizedException.class,
                () -> sender.publish("alerts/denied/x", new byte[] {'x'}));
        assertEquals(3, e.code());
        assertTrue(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start) < 5,
                "told at once, not after the operation timeout");
        // The client reconnects and goes on.
        sender.publish("alerts/allowed", new byte[] {'y'});
    }

    @Test
    void s24ThePolicyRefusesOtherSubscriptionsAndBadTopics() {
        UnauthorizedException e = assertThrows(UnauthorizedException.class,
                () -> sender.subscribe("alerts/#", (t, p) -> { }));
        assertEquals(3, e.code());
        ExecutionException async = assertThrows(ExecutionException.class,
                () -> sender.subscribeAsync("alerts/#", (t, p) -> { }).get(20, TimeUnit.SECONDS));
        assertInstanceOf(UnauthorizedException.class, async.getCause());
        assertThrows(InvalidArgumentException.class, () -> sender.publish("a/+", new byte[0]));
        assertThrows(InvalidArgumentException.class, () -> sender.publish("alerts/x", new byte[0], 2));
        assertFalse(subscribed("sender", "alerts/#"));
    }
}

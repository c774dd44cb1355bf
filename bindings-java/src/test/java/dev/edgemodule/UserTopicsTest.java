package dev.edgemodule;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** User-defined topics: publish and subscribe through the hub's broker policy. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class UserTopicsTest {
    static Hub hub;
    static ModuleClient sender;
    static ModuleClient receiver;

    @BeforeAll
    static void start() {
        hub = Hub.start();
        sender = hub.client("sender");
        receiver = hub.client("receiver");
    }

    @AfterAll
    static void stop() {
        sender.close();
        receiver.close();
        hub.close();
    }

    @Test
    void publishedMessagesReachTheSubscriber() throws Exception {
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

        subscription.close();
        sender.publish("alerts/after", new byte[0]);
        Wait.sleep(400);
        assertEquals(0, got.size(), "nothing after the subscription closed");
    }

    @Test
    void thePolicyRefusesOtherSubscriptions() {
        UnauthorizedException e = assertThrows(UnauthorizedException.class,
                () -> sender.subscribe("alerts/#", (t, p) -> { }));
        assertEquals(3, e.code());
        ExecutionException async = assertThrows(ExecutionException.class,
                () -> sender.subscribeAsync("alerts/#", (t, p) -> { }).get(20, TimeUnit.SECONDS));
        assertInstanceOf(UnauthorizedException.class, async.getCause());
        assertThrows(InvalidArgumentException.class, () -> sender.publish("a/+", new byte[0]));
        assertThrows(InvalidArgumentException.class, () -> sender.publish("alerts/x", new byte[0], 2));
    }
}

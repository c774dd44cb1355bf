package dev.edgemodule;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * S12: a callback that throws: the core calls it again with the message (a throw and an
 * ABANDON are both failed attempts), the method gets the core's failure reply, and the
 * client keeps running.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class S12FailingHandlersTest {
    static Hub hub;
    static ModuleClient sender;
    static ModuleClient receiver;
    static final AtomicInteger deliveries = new AtomicInteger();
    static final BlockingQueue<String> accepted = new LinkedBlockingQueue<>();
    static final AtomicBoolean failMethods = new AtomicBoolean(true);

    @BeforeAll
    static void start() {
        hub = Hub.start();
        receiver = hub.client("receiver", new ClientOptions().redeliveryDelay(java.time.Duration.ofMillis(200)));
        // Every message: the first delivery throws, the second returns ABANDON, the third
        // completes.
        receiver.setMessageCallback("input1", m -> {
            int n = deliveries.getAndIncrement() % 3;
            if (n == 0) {
                throw new IllegalStateException("handler failure (expected by the test)");
            }
            if (n == 1) {
                return IotHubMessageResult.ABANDON;
            }
            accepted.add(m.getBodyAsString());
            return IotHubMessageResult.COMPLETE;
        });
        receiver.setMethodHandler((name, payload) -> {
            if (failMethods.get()) {
                throw new IllegalArgumentException("method failure (expected by the test)");
            }
            return name.equals("null") ? null : new DirectMethodResponse(200, Map.of("ok", true));
        });
        receiver.open();
        sender = hub.client("sender");
    }

    @AfterAll
    static void stop() {
        sender.close();
        receiver.close();
        hub.close();
    }

    @Test
    void s12ThrowingHandlersDoNotStopTheClient() {
        sender.sendEvent(new Message("first"), "output1");
        assertEquals("first", Wait.next(accepted, 20));
        assertEquals(3, deliveries.get(), "thrown, abandoned, completed");

        Map<String, Object> answer = hub.invoke("receiver", "explode", "{}", 15);
        assertEquals(500L, answer.get("status"));
        assertEquals(S20MethodFailureReplyTest.FAILURE_PAYLOAD, Json.write(answer.get("payload")), "the core's reply");

        failMethods.set(false);
        sender.sendEvent(new Message("second"), "output1");
        assertEquals("second", Wait.next(accepted, 20));
        assertEquals(6, deliveries.get());
        assertEquals(200L, hub.invoke("receiver", "fine", "{}", 15).get("status"));
        assertEquals(500L, hub.invoke("receiver", "null", "{}", 15).get("status"), "a null response is a failure");
        assertEquals(IotHubConnectionStatus.CONNECTED, receiver.getConnectionStatus());
    }
}

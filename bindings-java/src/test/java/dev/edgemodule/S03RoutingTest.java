package dev.edgemodule;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** S03: an output routed to another module's input arrives with its body and every property. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class S03RoutingTest {
    static Hub hub;
    static ModuleClient sender;
    static ModuleClient receiver;
    static final BlockingQueue<Message> received = new LinkedBlockingQueue<>();

    @BeforeAll
    static void start() {
        hub = Hub.start();
        receiver = hub.client("receiver");
        receiver.setMessageCallback("input1", m -> {
            received.add(m);
            return IotHubMessageResult.COMPLETE;
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
    void s03BodyAndEveryPropertyArrive() {
        byte[] body = {0, 1, 2, (byte) 0xff, 'x'};
        Message m = new Message(body)
                .setMessageId("id-1")
                .setCorrelationId("corr-1")
                .setUserId("user-1")
                .setContentType("application/octet-stream")
                .setContentEncoding("binary")
                .setCreationTimeUtc("2026-01-02T03:04:05Z")
                .setMessageSchema("schema-1")
                .setComponentName("component")
                .setProperty("alpha", "a b&c=d")
                .setProperty("unicode", "ünï€ode")
                .setProperty("empty", "");
        sender.sendEvent(m, "output1");
        Message got = Wait.next(received, 20);
        assertArrayEquals(body, got.getBytes());
        assertEquals("id-1", got.getMessageId());
        assertEquals("corr-1", got.getCorrelationId());
        assertEquals("user-1", got.getUserId());
        assertEquals("application/octet-stream", got.getContentType());
        assertEquals("binary", got.getContentEncoding());
        assertEquals("2026-01-02T03:04:05Z", got.getCreationTimeUtc());
        assertEquals("schema-1", got.getMessageSchema());
        assertEquals("component", got.getComponentName());
        assertEquals("a b&c=d", got.getProperty("alpha"));
        assertEquals("ünï€ode", got.getProperty("unicode"));
        assertEquals("", got.getProperty("empty"));
        assertEquals("input1", got.getInputName());
        assertEquals("edge-device", got.getConnectionDeviceId());
        assertEquals("sender", got.getConnectionModuleId());
        assertNull(got.getProperty("missing"));
    }

    @Test
    void s03AsyncAndBatchSendsArriveInOrder() throws Exception {
        String mark = Wait.token();
        sender.sendEventAsync(new Message("a").setProperty("mark", mark), "output1").get(20, TimeUnit.SECONDS);
        sender.sendEvents(List.of(new Message("b").setProperty("mark", mark), new Message("c").setProperty("mark", mark)),
                "output1");
        sender.sendEventsAsync(List.of(new Message("d").setProperty("mark", mark)), "output1").get(20, TimeUnit.SECONDS);
        StringBuilder order = new StringBuilder();
        while (order.length() < 4) {
            Message got = Wait.next(received, 20);
            if (mark.equals(got.getProperty("mark"))) {
                order.append(got.getBodyAsString());
            }
        }
        assertEquals("abcd", order.toString());
    }

    @Test
    void s03ABatchOfBodiesAloneAndAMixedBatchArriveInOrder() throws Exception {
        String mark = Wait.token();
        // No message sets a property: the batch crosses to native code as its bodies alone.
        sender.sendEvents(List.of(new Message(mark + "-e"), new Message(mark + "-f")), "output1");
        sender.sendEventsAsync(List.of(new Message(mark + "-g"), new Message(mark + "-h").setMessageId("id-h")),
                "output1").get(20, TimeUnit.SECONDS);
        sender.sendEventsAsync(List.of(new Message(mark + "-i"), new Message(mark + "-j")), "output1")
                .get(20, TimeUnit.SECONDS);
        StringBuilder order = new StringBuilder();
        while (order.length() < 6) {
            Message got = Wait.next(received, 20);
            String body = got.getBodyAsString();
            if (body.startsWith(mark + "-")) {
                String letter = body.substring(mark.length() + 1);
                order.append(letter);
                assertNull(got.getProperty("mark"));
                assertEquals(letter.equals("h") ? "id-h" : null, got.getMessageId());
            }
        }
        assertEquals("efghij", order.toString());
    }
}

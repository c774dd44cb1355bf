package dev.edgemodule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * S19: publishes still unacknowledged when the connection drops are sent again after the
 * reconnect with DUP=1 (the hub resumed the session), and none is lost. A proxy between the
 * sender and the hub holds back the hub's PUBACKs, then cuts the connection.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class S19DupResendTest {
    static final int COUNT = 5;

    @Test
    void s19UnacknowledgedPublishesAreResentWithDupAfterAReconnect() throws Exception {
        try (Hub hub = Hub.start(); TcpProxy proxy = new TcpProxy(hub.mqttPort);
                ModuleClient receiver = hub.client("receiver");
                ModuleClient sender = hub.client("sender", new ClientOptions().mqttPort(proxy.port()))) {
            BlockingQueue<String> seen = new LinkedBlockingQueue<>();
            receiver.setMessageCallback("input1", m -> {
                seen.add(m.getMessageId());
                return IotHubMessageResult.COMPLETE;
            });
            receiver.open();
            // Something subscribed, so the hub keeps a session to resume.
            sender.setMethodHandler("noop", (name, payload) -> new DirectMethodResponse(200, null));
            sender.open();
            Map<String, Object> before = hub.inspect("sender");

            // The hub gets the publishes; the client never sees the PUBACKs.
            proxy.holdDownstream(true);
            List<CompletableFuture<Void>> sends = new ArrayList<>();
            for (int i = 0; i < COUNT; i++) {
                sends.add(sender.sendEventAsync(new Message("m" + i).setMessageId("m" + i), "output1"));
            }
            long received = Hub.counter(before, "publishes_received");
            hub.awaitInspect("sender", 10, "the publishes reached the hub",
                    v -> Hub.counter(v, "publishes_received") >= received + COUNT);
            proxy.cut();
            proxy.holdDownstream(false);

            for (CompletableFuture<Void> send : sends) {
                send.get(30, TimeUnit.SECONDS); // acknowledged after the re-send
            }
            long dupsBefore = Hub.counter(before, "dup_publishes_received");
            Map<String, Object> after = hub.awaitInspect("sender", 10, "DUP re-sends",
                    v -> Hub.counter(v, "dup_publishes_received") >= dupsBefore + COUNT);
            assertTrue(Hub.counter(after, "connections") > Hub.counter(before, "connections"), after.toString());

            Set<String> ids = new TreeSet<>();
            while (ids.size() < COUNT) {
                ids.add(Wait.next(seen, 15));
            }
            assertEquals(Set.of("m0", "m1", "m2", "m3", "m4"), ids, "none lost");
            // Duplicates are allowed (at-least-once); nothing else arrives.
            for (String id = seen.poll(300, TimeUnit.MILLISECONDS); id != null; id = seen.poll(300, TimeUnit.MILLISECONDS)) {
                assertTrue(ids.contains(id), "unexpected " + id);
            }
        }
    }
}

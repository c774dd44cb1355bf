package dev.edgemodule;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * S18: with a callback for input {@code first} only (no default callback), a message for
 * input {@code unhandled} is acknowledged, dropped and reported to the background-error
 * callback, and does not stall later messages.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class S18UnhandledInputTest {
    @Test
    void s18AMessageForAnUnhandledInputIsAcknowledgedDroppedAndReported() {
        try (Hub hub = Hub.start(); ModuleClient ordered = hub.client("ordered");
                ModuleClient sender = hub.client("sender")) {
            BlockingQueue<BackgroundError> errors = new LinkedBlockingQueue<>();
            BlockingQueue<String> handled = new LinkedBlockingQueue<>();
            ordered.setBackgroundErrorCallback(errors::add);
            ordered.setMessageCallback("first", m -> {
                Wait.sleep(20);
                handled.add(m.getMessageId());
                return IotHubMessageResult.COMPLETE;
            });
            ordered.setMethodHandler("ping", (name, payload) -> new DirectMethodResponse(200, null));
            ordered.open();

            Traffic.sendNumbered(sender, "first", "before", 2);
            Traffic.sendNumbered(sender, "unhandled", "nobody", 1);
            Traffic.sendNumbered(sender, "first", "after", 3);
            assertEquals(List.of(200L, 200L, 200L), Traffic.callRepeatedly(hub, "ordered", "ping", 3));

            BackgroundError error = Wait.next(errors, 10);
            assertEquals(BackgroundError.Kind.NO_HANDLER, error.getKind(), error.toString());
            assertEquals(BackgroundError.Family.INPUT, error.getFamily());
            assertEquals("unhandled", error.getName());

            List<String> seen = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                seen.add(Wait.next(handled, 10));
            }
            assertEquals(List.of("before000", "before001", "after000", "after001", "after002"), seen);
            Map<String, Object> inspection = hub.awaitInspect("ordered", 20, "every PUBACK", v -> Hub.acks(v) >= 6 + 3);
            Traffic.assertAcksInOrder(inspection);
            assertEquals(0, Hub.counter(inspection, "redelivered"),
                    "the unhandled message was acknowledged, not left to the hub: " + inspection);
        }
    }
}

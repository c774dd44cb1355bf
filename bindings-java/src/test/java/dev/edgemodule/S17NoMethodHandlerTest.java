package dev.edgemodule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * S17: a module that never registered a method handler is not subscribed to methods, so a
 * call to it is answered 404 at once; with handlers for other methods only, a call of an
 * unhandled method gets the core's no-handler reply (501) and a background error.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class S17NoMethodHandlerTest {
    static final String NO_HANDLER_PAYLOAD = "{\"error\":\"NO_HANDLER\",\"message\":\"the module has no handler for this method\"}";
    static Hub hub;
    static ModuleClient caller;

    @BeforeAll
    static void start() {
        hub = Hub.start();
        caller = hub.client("caller");
    }

    @AfterAll
    static void stop() {
        caller.close();
        hub.close();
    }

    @Test
    void s17NoMethodHandlerMeans404AtOnce() {
        try (ModuleClient target = hub.client("nomethods")) {
            // Handles inputs and desired patches, but no method.
            target.setMessageCallback(m -> IotHubMessageResult.COMPLETE);
            target.subscribeToDesiredProperties(patch -> { });
            target.open();
            Object subscriptions = hub.inspect("nomethods").get("subscriptions");
            assertFalse(subscriptions.toString().contains("$iothub/methods"), "not subscribed to methods: " + subscriptions);

            long start = System.nanoTime();
            NotFoundException e = assertThrows(NotFoundException.class, () -> caller.invokeMethod(
                    "edge-device", "nomethods",
                    new DirectMethodRequest("reset", null).setResponseTimeout(Duration.ofSeconds(20))));
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertEquals(404, e.status().getAsInt());
            assertTrue(tookMs < 1000, "answered after " + tookMs + " ms");
        }
    }

    @Test
    void s17AMethodNothingHandlesGetsTheNoHandlerReply() {
        try (ModuleClient target = hub.client("receiver")) {
            BlockingQueue<BackgroundError> errors = new LinkedBlockingQueue<>();
            target.setBackgroundErrorCallback(errors::add);
            target.setMethodHandler("reset", (name, payload) -> new DirectMethodResponse(200, "reset"));
            target.open();

            DirectMethodResponse answer = caller.invokeMethod("edge-device", "receiver",
                    new DirectMethodRequest("reboot", null));
            assertEquals(501, answer.getStatus());
            assertEquals(NO_HANDLER_PAYLOAD, answer.getPayloadAsJsonString());
            BackgroundError error = Wait.next(errors, 10);
            assertEquals(BackgroundError.Kind.NO_HANDLER, error.getKind());
            assertEquals(BackgroundError.Family.METHOD, error.getFamily());
            assertEquals("reboot", error.getName());

            answer = caller.invokeMethod("edge-device", "receiver", new DirectMethodRequest("reset", null));
            assertEquals(200, answer.getStatus());
            assertEquals("reset", answer.getPayload());
            Map<String, Object> viaHub = hub.invoke("receiver", "reboot", "null", 15);
            assertEquals(501L, viaHub.get("status"));
        }
    }
}

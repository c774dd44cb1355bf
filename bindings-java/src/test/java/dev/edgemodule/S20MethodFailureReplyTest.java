package dev.edgemodule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * S20: a method handler that throws (or returns null) is answered with the core's one
 * failure reply — status 500 and exactly {@code {"error":"HANDLER_FAILED","message":"the
 * method handler failed"}}, the same bytes in every language — while its own error goes to
 * the log and the background-error callback only.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class S20MethodFailureReplyTest {
    static final String FAILURE_PAYLOAD = "{\"error\":\"HANDLER_FAILED\",\"message\":\"the method handler failed\"}";

    @Test
    void s20AThrowingMethodHandlerGetsTheOneFailureReply() {
        try (Hub hub = Hub.start(); ModuleClient target = hub.client("receiver");
                ModuleClient caller = hub.client("caller")) {
            BlockingQueue<BackgroundError> errors = new LinkedBlockingQueue<>();
            target.setBackgroundErrorCallback(errors::add);
            target.setMethodHandler("fails", (name, payload) -> {
                throw new IllegalStateException("secret internal detail (expected by the test)");
            });
            target.setMethodHandler("nulls", (name, payload) -> null);
            target.setMethodHandler((name, payload) -> new DirectMethodResponse(200, Map.of("default", name)));
            target.open();

            for (String method : List.of("fails", "nulls")) {
                Map<String, Object> viaHub = hub.invoke("receiver", method, "null", 15);
                assertEquals(500L, viaHub.get("status"), method);
                assertEquals(FAILURE_PAYLOAD, Json.write(viaHub.get("payload")), method);
                DirectMethodResponse viaModule = caller.invokeMethod("edge-device", "receiver",
                        new DirectMethodRequest(method, null));
                assertEquals(500, viaModule.getStatus(), method);
                assertEquals(FAILURE_PAYLOAD, viaModule.getPayloadAsJsonString(), method);
                assertFalse(viaModule.getPayloadAsJsonString().contains("secret"));
                for (int i = 0; i < 2; i++) {
                    BackgroundError error = Wait.next(errors, 10);
                    assertEquals(BackgroundError.Kind.HANDLER_FAILED, error.getKind());
                    assertEquals(BackgroundError.Family.METHOD, error.getFamily());
                    assertEquals(method, error.getName());
                }
            }
            // The client keeps answering.
            DirectMethodResponse fine = caller.invokeMethod("edge-device", "receiver",
                    new DirectMethodRequest("other", null));
            assertEquals(200, fine.getStatus());
            assertEquals(Map.of("default", "other"), fine.getPayload());
        }
    }
}

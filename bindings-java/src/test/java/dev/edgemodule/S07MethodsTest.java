package dev.edgemodule;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** S07: direct methods called by the operator: status and JSON payload round trip. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class S07MethodsTest {
    static Hub hub;
    static ModuleClient receiver;

    @BeforeAll
    static void start() {
        hub = Hub.start();
        receiver = hub.client("receiver");
        receiver.setMethodHandler("echo", (name, payload) ->
                new DirectMethodResponse(200, Map.of("method", name, "got", payload.getPayload())));
        receiver.setMethodHandler("teapot", (name, payload) -> DirectMethodResponse.fromJson(418, "\"short and stout\""));
        receiver.setMethodHandler((name, payload) ->
                new DirectMethodResponse(404, Map.of("unknown", name, "raw", payload.getPayloadAsJsonString())));
        receiver.open();
    }

    @AfterAll
    static void stop() {
        receiver.close();
        hub.close();
    }

    @Test
    void s07NamedHandlersAnswerWithStatusAndPayload() {
        Map<String, Object> answer = hub.invoke("receiver", "echo", "{\"n\":[1,2,3],\"s\":\"x\"}", 15);
        assertEquals(200L, answer.get("status"));
        assertEquals(Map.of("method", "echo", "got", Map.of("n", java.util.List.of(1L, 2L, 3L), "s", "x")),
                answer.get("payload"));
        Map<String, Object> teapot = hub.invoke("receiver", "teapot", "null", 15);
        assertEquals(418L, teapot.get("status"));
        assertEquals("short and stout", teapot.get("payload"));
    }

    @Test
    void s07TheDefaultHandlerTakesOtherMethods() {
        Map<String, Object> answer = hub.invoke("receiver", "whatever", "7", 15);
        assertEquals(404L, answer.get("status"));
        assertEquals(Map.of("unknown", "whatever", "raw", "7"), answer.get("payload"));
    }
}

package dev.edgemodule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** S08: module-to-module invokeMethod through the gateway. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class S08InvokeTest {
    static Hub hub;
    static ModuleClient receiver;
    static ModuleClient caller;

    @BeforeAll
    static void start() {
        hub = Hub.start();
        receiver = hub.client("receiver");
        receiver.setMethodHandler("add", (name, payload) -> {
            Map<?, ?> args = payload.getPayload(Map.class);
            long sum = ((Number) args.get("a")).longValue() + ((Number) args.get("b")).longValue();
            return new DirectMethodResponse(200, Map.of("sum", sum));
        });
        receiver.setMethodHandler("silent", (name, payload) -> {
            Wait.sleep(8000);
            return new DirectMethodResponse(200, null);
        });
        receiver.open();
        caller = hub.client("caller");
    }

    @AfterAll
    static void stop() {
        caller.close();
        receiver.close();
        hub.close();
    }

    @Test
    void s08CallsAnotherModule() throws Exception {
        DirectMethodResponse r = caller.invokeMethod("edge-device", "receiver",
                new DirectMethodRequest("add", Map.of("a", 2, "b", 40)));
        assertEquals(200, r.getStatus());
        assertEquals(Map.of("sum", 42L), r.getPayload());
        DirectMethodResponse async = caller.invokeMethodAsync("edge-device", "receiver",
                DirectMethodRequest.fromJson("add", "{\"a\":1,\"b\":1}")).get(30, TimeUnit.SECONDS);
        assertEquals("{\"sum\":2}", async.getPayloadAsJsonString());
    }

    @Test
    void s08ATargetThatIsNotConnectedIsNotFound() {
        NotFoundException e = assertThrows(NotFoundException.class, () -> caller.invokeMethod("edge-device", "filter",
                new DirectMethodRequest("add", Map.of())));
        assertEquals(11, e.code());
        ExecutionException async = assertThrows(ExecutionException.class, () -> caller.invokeMethodAsync("edge-device",
                "filter", new DirectMethodRequest("add", Map.of())).get(30, TimeUnit.SECONDS));
        assertInstanceOf(NotFoundException.class, async.getCause());
    }

    @Test
    void s08TheResponseTimeoutIsHonoured() {
        long start = System.nanoTime();
        DirectMethodRequest request = new DirectMethodRequest("silent", null).setResponseTimeout(Duration.ofSeconds(5));
        assertThrows(EdgeTimeoutException.class, () -> caller.invokeMethod("edge-device", "receiver", request));
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
        assertTrue(seconds >= 4 && seconds < 15, "took " + seconds + " s");
    }

    @Test
    void s08BadRequestsAreInvalidArguments() {
        DirectMethodRequest tooShort = new DirectMethodRequest("add", null).setResponseTimeout(Duration.ofSeconds(1));
        assertThrows(InvalidArgumentException.class, () -> caller.invokeMethod("edge-device", "receiver", tooShort));
        assertThrows(InvalidArgumentException.class, () -> DirectMethodRequest.fromJson("add", "{not json"));
    }
}

package dev.edgemodule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * S21: invokeMethod with a short response timeout on a module whose handler never answers
 * fails with TIMEOUT (the hub's 504) within the timeout plus a small margin; the module's
 * other handlers keep working meanwhile.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class S21InvokeTimeoutTest {
    @Test
    void s21TheResponseTimeoutIsHonoured() {
        CountDownLatch never = new CountDownLatch(1);
        try (Hub hub = Hub.start(); ModuleClient mute = hub.client("mute"); ModuleClient caller = hub.client("caller")) {
            mute.setMethodHandler("hang", (name, payload) -> {
                try {
                    never.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return new DirectMethodResponse(200, "too late");
            });
            mute.setMethodHandler("ping", (name, payload) -> new DirectMethodResponse(200, "pong"));
            mute.open();

            long start = System.nanoTime();
            EdgeTimeoutException e = assertThrows(EdgeTimeoutException.class, () -> caller.invokeMethod("edge-device",
                    "mute", new DirectMethodRequest("hang", null).setResponseTimeout(Duration.ofSeconds(5))));
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertEquals(504, e.status().getAsInt(), e.toString());
            assertTrue(e.isTransient());
            assertTrue(tookMs >= 4500 && tookMs < 8000, "failed after " + tookMs + " ms");

            DirectMethodResponse pong = caller.invokeMethod("edge-device", "mute", new DirectMethodRequest("ping", null));
            assertEquals("pong", pong.getPayload(), "another method's handler runs while one hangs");
            never.countDown(); // before close, which waits for running callbacks
        } finally {
            never.countDown();
        }
    }
}

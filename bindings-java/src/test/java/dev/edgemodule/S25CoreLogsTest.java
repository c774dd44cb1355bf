package dev.edgemodule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * S25: the core's log records reach Java's own logging — the {@code System.Logger} named
 * {@code dev.edgemodule}, here through its default backend java.util.logging — on a forced
 * reconnect (hub restart), at the logger's level only, on the {@code edgemodule-log} thread.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class S25CoreLogsTest {
    @Test
    void s25AHubRestartIsLoggedThroughSystemLogger() {
        try (LogCapture log = new LogCapture(Level.WARNING); Hub hub = Hub.start();
                ModuleClient client = hub.client("sender")) {
            client.open();
            hub.stop();
            hub.startAgain();
            Wait.until("the connection loss logged", Duration.ofSeconds(30),
                    () -> log.has("connection lost", "module=sender"));
            client.sendEvent(new Message("after the first restart"), "up");
            assertFalse(log.entries.stream().anyMatch(e -> e.level.intValue() < Level.WARNING.intValue()),
                    "nothing below the logger's level: " + log.entries);

            // More verbose: the reconnect itself shows.
            log.level(Level.FINE);
            hub.stop();
            hub.startAgain();
            Wait.until("the reconnect logged", Duration.ofSeconds(30),
                    () -> log.has("connected", "module=sender", "reconnect=true"));
            client.sendEvent(new Message("after the second restart"), "up");
            for (LogCapture.Entry e : log.entries) {
                assertEquals("edgemodule-log", e.thread, "records arrive on the log thread only: " + e);
            }
            assertTrue(log.entries.stream().anyMatch(e -> e.level == Level.INFO), log.entries.toString());
        }
    }
}

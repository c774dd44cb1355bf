package dev.edgemodule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * S22: with a SAS token lifetime of a few seconds the client renews several times while
 * sending; nothing is lost and the status shows no failure (a renewal is a quiet reconnect
 * with a fresh token; the log says so).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class S22SasRenewalTest {
    static final int TOTAL = 40;

    @Test
    void s22SendingAcrossTokenRenewalsLosesNothing() {
        try (LogCapture log = new LogCapture(Level.INFO); Hub hub = Hub.start();
                ModuleClient receiver = hub.client("receiver");
                ModuleClient sender = hub.client("sender", new ClientOptions().sasTokenTimeToLive(Duration.ofSeconds(2)))) {
            Set<String> received = ConcurrentHashMap.newKeySet();
            receiver.setMessageCallback("input1", m -> {
                received.add(m.getMessageId());
                return IotHubMessageResult.COMPLETE;
            });
            receiver.open();
            List<IotHubConnectionStatus> states = new CopyOnWriteArrayList<>();
            sender.setConnectionStatusChangeCallback(c -> states.add(c.getNewStatus()));
            sender.open();

            // Renewal (a reconnect with a fresh token) every 1.6 s; sending takes about 5 s.
            for (int i = 0; i < TOTAL; i++) {
                String id = String.format("r%03d", i);
                sender.sendEvent(new Message(id).setMessageId(id), "output1");
                Wait.sleep(125);
            }
            Wait.until("every message received", Duration.ofSeconds(30), () -> received.size() == TOTAL);
            Wait.until("the renewals logged", Duration.ofSeconds(10),
                    () -> log.count("renewing the SAS token", "module=sender") >= 2);
            assertTrue(states.stream().allMatch(s -> s == IotHubConnectionStatus.CONNECTED),
                    "renewal shows no failure: " + states);
            assertEquals(IotHubConnectionStatus.CONNECTED, sender.getConnectionStatus());
        }
    }
}

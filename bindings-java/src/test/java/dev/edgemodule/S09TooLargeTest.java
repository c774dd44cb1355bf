package dev.edgemodule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** S09: an oversized message is a typed error, nothing is sent, the client stays usable. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class S09TooLargeTest {
    static final int LIMIT = 256 * 1024;
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
        sender.open();
    }

    @AfterAll
    static void stop() {
        sender.close();
        receiver.close();
        hub.close();
    }

    @Test
    void s09OversizedMessagesFailAndNothingIsSent() throws Exception {
        Message big = new Message(new byte[LIMIT]).setProperty("k", "v");
        MessageTooLargeException e = assertThrows(MessageTooLargeException.class, () -> sender.sendEvent(big, "output1"));
        assertEquals(7, e.code());
        assertEquals("MESSAGE_TOO_LARGE", e.errorName());
        assertTrue(e.getMessage().contains("262144"), e.getMessage());

        ExecutionException async = assertThrows(ExecutionException.class,
                () -> sender.sendEventAsync(big, "output1").get(20, TimeUnit.SECONDS));
        assertInstanceOf(MessageTooLargeException.class, async.getCause());

        // A batch is checked as a whole before anything is sent.
        assertThrows(MessageTooLargeException.class,
                () -> sender.sendEvents(List.of(new Message("first"), big), "output1"));

        sender.sendEvent(new Message("small"), "output1");
        assertEquals("small", Wait.next(received, 20).getBodyAsString());
        Wait.sleep(300);
        assertEquals(0, received.size(), "only the small message arrived");
        assertEquals(IotHubConnectionStatus.CONNECTED, sender.getConnectionStatus());
    }
}

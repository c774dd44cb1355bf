package dev.edgemodule;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** S04: per-input callbacks and the default callback. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class S04InputsTest {
    Hub hub;
    ModuleClient sender;
    ModuleClient receiver;

    @BeforeEach
    void start() {
        hub = Hub.start();
        sender = hub.client("sender");
        receiver = hub.client("receiver");
    }

    @AfterEach
    void stop() {
        sender.close();
        receiver.close();
        hub.close();
    }

    /** Queues "<callback>:<input>:<body>". */
    static MessageCallback recorder(String name, BlockingQueue<String> into) {
        return m -> {
            into.add(name + ":" + m.getInputName() + ":" + m.getBodyAsString());
            return IotHubMessageResult.COMPLETE;
        };
    }

    @Test
    void s04NamedCallbacksWinTheDefaultTakesTheRest() {
        BlockingQueue<String> got = new LinkedBlockingQueue<>();
        receiver.setMessageCallback("input1", recorder("one", got));
        receiver.setMessageCallback(recorder("default", got));
        receiver.open();
        sender.sendEvent(new Message("a"), "output1");
        assertEquals("one:input1:a", Wait.next(got, 20));
        sender.sendEvent(new Message("b"), "output2");
        assertEquals("default:input2:b", Wait.next(got, 20));
        sender.sendEvent(new Message("c"), "output3");
        assertEquals("default:input3:c", Wait.next(got, 20));

        // Replacing a callback takes effect at once; removing it hands the input to the default.
        receiver.setMessageCallback("input1", recorder("replaced", got));
        sender.sendEvent(new Message("d"), "output1");
        assertEquals("replaced:input1:d", Wait.next(got, 20));
        receiver.setMessageCallback("input1", null);
        sender.sendEvent(new Message("e"), "output1");
        assertEquals("default:input1:e", Wait.next(got, 20));
        assertEquals(0, got.size());
    }

    @Test
    void s04MessagesWaitForACallbackRegisteredLater() {
        receiver.open();
        sender.sendEvent(new Message("early"), "output2");
        Wait.sleep(300);
        BlockingQueue<String> got = new LinkedBlockingQueue<>();
        receiver.setMessageCallback("input2", recorder("late", got));
        assertEquals("late:input2:early", Wait.next(got, 20));
    }
}

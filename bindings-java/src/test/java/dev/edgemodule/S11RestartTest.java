package dev.edgemodule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * S11: the hub restarts mid-stream: the clients reconnect by themselves, no QoS 1 message is
 * lost, and a desired change made while the module was offline arrives as a catch-up patch.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class S11RestartTest {
    static final int TOTAL = 60;
    Hub hub;
    ModuleClient sender;
    ModuleClient receiver;

    @BeforeEach
    void start() {
        hub = Hub.start();
    }

    @AfterEach
    void stop() {
        if (sender != null) {
            sender.close();
        }
        if (receiver != null) {
            receiver.close();
        }
        hub.close();
    }

    @Test
    @SuppressWarnings("unchecked")
    void s11ReconnectsWithoutLossAndCatchesUp() throws Exception {
        Set<String> unique = ConcurrentHashMap.newKeySet();
        BlockingQueue<TwinCollection> patches = new LinkedBlockingQueue<>();
        List<IotHubConnectionStatus> receiverStatus = new CopyOnWriteArrayList<>();
        List<IotHubConnectionStatus> senderStatus = new CopyOnWriteArrayList<>();
        receiver = hub.client("receiver");
        receiver.setMessageCallback("input1", m -> {
            unique.add(m.getMessageId());
            return IotHubMessageResult.COMPLETE;
        });
        receiver.subscribeToDesiredProperties(patches::add);
        receiver.setConnectionStatusChangeCallback(c -> receiverStatus.add(c.getNewStatus()));
        receiver.open();
        sender = hub.client("sender", new ClientOptions().operationTimeout(Duration.ofSeconds(60)));
        sender.setConnectionStatusChangeCallback(c -> senderStatus.add(c.getNewStatus()));
        sender.open();

        // 1. Restart while messages flow: a third sent and acknowledged, the rest async.
        List<CompletableFuture<Void>> pending = new ArrayList<>();
        for (int i = 0; i < TOTAL; i++) {
            Message m = new Message("m" + i).setMessageId(String.format("m%03d", i));
            if (i < TOTAL / 3) {
                sender.sendEvent(m, "output1");
            } else {
                if (i == TOTAL / 3) {
                    hub.stop();
                    Wait.sleep(300);
                    hub.startAgain();
                }
                pending.add(sender.sendEventAsync(m, "output1"));
                Wait.sleep(20);
            }
        }
        CompletableFuture.allOf(pending.toArray(new CompletableFuture<?>[0])).get(90, TimeUnit.SECONDS);
        Wait.until("every message received once", Duration.ofSeconds(60), () -> unique.size() == TOTAL);
        Wait.until("the sender reconnected", Duration.ofSeconds(30),
                () -> senderStatus.contains(IotHubConnectionStatus.DISCONNECTED_RETRYING)
                        && senderStatus.get(senderStatus.size() - 1) == IotHubConnectionStatus.CONNECTED);

        // 2. A desired change while the receiver is offline: the same state served on other
        // ports, so the module keeps failing to reach its gateway meanwhile.
        int retryingBefore = count(receiverStatus, IotHubConnectionStatus.DISCONNECTED_RETRYING);
        int connectedBefore = count(receiverStatus, IotHubConnectionStatus.CONNECTED);
        hub.stop();
        Wait.until("the receiver noticed", Duration.ofSeconds(15),
                () -> count(receiverStatus, IotHubConnectionStatus.DISCONNECTED_RETRYING) > retryingBefore);
        Hub elsewhere = hub.startElsewhere();
        Map<String, Object> twin = elsewhere.setDesired("receiver", "{\"threshold\":55}");
        long version = ((Number) ((Map<String, Object>) twin.get("desired")).get("$version")).longValue();
        elsewhere.stop();
        hub.startAgain();
        Wait.until("the receiver reconnected", Duration.ofSeconds(30),
                () -> count(receiverStatus, IotHubConnectionStatus.CONNECTED) > connectedBefore);
        TwinCollection patch = Wait.next(patches, 30);
        assertEquals(55L, patch.get("threshold"));
        assertEquals(version, patch.getVersion());
        assertEquals(Map.of("unit", "C"), patch.get("nested"), "the whole desired section");
        assertEquals(version, receiver.getTwin().getDesiredProperties().getVersion());
        assertTrue(unique.size() == TOTAL);
    }

    private static int count(List<IotHubConnectionStatus> list, IotHubConnectionStatus status) {
        int n = 0;
        for (IotHubConnectionStatus s : list) {
            if (s == status) {
                n++;
            }
        }
        return n;
    }
}

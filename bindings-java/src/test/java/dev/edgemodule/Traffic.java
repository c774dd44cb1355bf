package dev.edgemodule;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Traffic the acknowledgement scenarios (S14–S18) generate, and their checks. */
final class Traffic {
    private Traffic() {}

    /** Sends {@code count} messages to {@code output}, one after another, ids {@code prefix000}... */
    static void sendNumbered(ModuleClient sender, String output, String prefix, int count) {
        for (int i = 0; i < count; i++) {
            String id = String.format("%s%03d", prefix, i);
            sender.sendEvent(new Message(id).setMessageId(id), output);
        }
    }

    /** The ids {@code sendNumbered} sends. */
    static List<String> numbered(String prefix, int count) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ids.add(String.format("%s%03d", prefix, i));
        }
        return ids;
    }

    /**
     * Calls {@code method} on {@code module} {@code count} times as the operator: each call is
     * a QoS 1 PUBLISH to the module that arrives between its input messages, so an
     * acknowledgement sent out of order shows in {@code inspect}. The statuses.
     */
    static List<Long> callRepeatedly(Hub hub, String module, String method, int count) {
        List<Long> statuses = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            statuses.add(((Number) hub.invoke(module, method, "null", 15).get("status")).longValue());
        }
        return statuses;
    }

    /** Every PUBACK the module sent matched the hub's oldest outstanding PUBLISH. */
    static void assertAcksInOrder(Map<String, Object> inspection) {
        assertEquals(0, Hub.counter(inspection, "acks_out_of_order"), "PUBACKs out of order: " + inspection);
        Object unexpected = inspection.get("acks_unexpected");
        if (unexpected instanceof Number) {
            assertEquals(0, ((Number) unexpected).longValue(), "PUBACKs for nothing outstanding: " + inspection);
        }
    }
}

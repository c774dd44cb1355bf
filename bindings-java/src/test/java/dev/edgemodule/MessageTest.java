package dev.edgemodule;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MessageTest {
    @Test
    void bodiesAreCopied() {
        byte[] body = {1, 2, 3};
        Message m = new Message(body);
        body[0] = 9;
        assertArrayEquals(new byte[] {1, 2, 3}, m.getBytes());
        m.getBytes()[1] = 9;
        assertArrayEquals(new byte[] {1, 2, 3}, m.getBytes());
        assertEquals("héllo", new Message("héllo").getBodyAsString());
        assertEquals(0, new Message().getBytes().length);
    }

    @Test
    void propertiesAreSortedAndValidated() {
        Message m = new Message("x").setProperty("b", "2").setProperty("a", "1");
        assertEquals(List.of("a", "b"), List.copyOf(m.getProperties().keySet()));
        assertArrayEquals(new String[] {"a", "1", "b", "2"}, m.propertyArray());
        assertEquals("1", m.removeProperty("a"));
        assertThrows(InvalidArgumentException.class, () -> m.setProperty("", "v"));
        assertThrows(NullPointerException.class, () -> m.setProperty("k", null));
        assertThrows(UnsupportedOperationException.class, () -> m.getProperties().put("c", "3"));
    }

    @Test
    void systemPropertiesTravelInTheirSlots() {
        Instant t = Instant.parse("2026-05-06T07:08:09Z");
        Message m = new Message("x").setMessageId("m").setCorrelationId("c").setUserId("u").setContentType("ct")
                .setContentEncoding("ce").setCreationTimeUtc(t).setExpiryTimeUtc(t).setMessageSchema("s")
                .setComponentName("comp").setInterfaceId("i");
        String[] system = m.systemArray();
        assertEquals(Message.SYSTEM_COUNT, system.length);
        assertEquals("m", system[Message.MESSAGE_ID]);
        assertEquals("2026-05-06T07:08:09Z", system[Message.CREATION_TIME]);
        assertEquals("2026-05-06T07:08:09Z", system[Message.EXPIRY_TIME]);
        assertNull(system[Message.INPUT_NAME]);

        system[Message.INPUT_NAME] = "input1";
        system[Message.CONNECTION_MODULE_ID] = "sender";
        Message received = Message.fromNative(new byte[] {7}, system, new String[] {"k", "v", "flag", null});
        assertEquals("input1", received.getInputName());
        assertEquals("sender", received.getConnectionModuleId());
        assertEquals("comp", received.getComponentName());
        assertEquals(Map.of("k", "v", "flag", ""), received.getProperties());
        assertEquals(received, Message.fromNative(new byte[] {7}, system, new String[] {"k", "v", "flag", ""}));
    }
}

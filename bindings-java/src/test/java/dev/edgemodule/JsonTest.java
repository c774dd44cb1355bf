package dev.edgemodule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigInteger;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void parsesEveryKindOfValue() {
        Map<String, Object> v = Json.parseObject(
                " {\"s\":\"a\\\"b\\\\c\\n\\u00e9\",\"i\":-12,\"big\":123456789012345678901,\"d\":1.5e2,"
                        + "\"t\":true,\"f\":false,\"n\":null,\"a\":[1,[],{}],\"o\":{\"x\":{}}} ");
        assertEquals("a\"b\\c\né", v.get("s"));
        assertEquals(-12L, v.get("i"));
        assertEquals(new BigInteger("123456789012345678901"), v.get("big"));
        assertEquals(150.0, v.get("d"));
        assertEquals(true, v.get("t"));
        assertEquals(false, v.get("f"));
        assertNull(v.get("n"));
        assertEquals(Arrays.asList(1L, List.of(), Map.of()), v.get("a"));
        assertEquals(Map.of("x", Map.of()), v.get("o"));
        assertEquals(List.of("s", "i", "big", "d", "t", "f", "n", "a", "o"), List.copyOf(v.keySet()), "order kept");
    }

    @Test
    void writesAndRoundTrips() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("text", "quote\" slash\\ tab\t ctl\u0001");
        m.put("n", 3);
        m.put("x", 2.5);
        m.put("list", List.of(true, "s"));
        m.put("array", new int[] {1, 2});
        m.put("none", null);
        m.put("mode", IotHubMessageResult.COMPLETE);
        String json = Json.write(m);
        assertEquals("{\"text\":\"quote\\\" slash\\\\ tab\\t ctl\\u0001\",\"n\":3,\"x\":2.5,\"list\":[true,\"s\"],"
                + "\"array\":[1,2],\"none\":null,\"mode\":\"COMPLETE\"}", json);
        Map<String, Object> back = Json.parseObject(json);
        assertEquals("quote\" slash\\ tab\t ctl\u0001", back.get("text"));
        assertEquals(List.of(1L, 2L), back.get("array"));
    }

    @Test
    void rejectsWhatIsNotJson() {
        for (String bad : new String[] {"", "{", "[1,]", "{\"a\" 1}", "tru", "\"open", "1 2", "{\"a\":1,}", "01x"}) {
            assertThrows(InvalidArgumentException.class, () -> Json.parse(bad), bad);
        }
        assertThrows(InvalidArgumentException.class, () -> Json.parseObject("[1]"));
        assertThrows(InvalidArgumentException.class, () -> Json.write(Double.NaN));
        assertThrows(InvalidArgumentException.class, () -> Json.write(new Object()));
        Map<String, Object> nullKey = new java.util.HashMap<>();
        nullKey.put(null, 1);
        assertThrows(InvalidArgumentException.class, () -> Json.write(nullKey));
    }
}

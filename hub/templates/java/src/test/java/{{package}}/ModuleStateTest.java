package {{package}};

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Unit test of {{name}}'s decisions: {@code mvn test} (no hub needed). */
class ModuleStateTest {
    @Test
    void forwardsUntilDisabled() {
        ModuleState state = new ModuleState();
        assertTrue(state.shouldForward());
        state.countForwarded();
        assertEquals(Map.of("Enabled", false), state.applyDesired(Map.of("Enabled", false, "$version", 2)));
        assertFalse(state.shouldForward());
        assertEquals(Map.of("enabled", false, "forwarded", 1L), state.status());
    }

    @Test
    void ignoresDesiredPropertiesWithoutABoolean() {
        ModuleState state = new ModuleState();
        assertNull(state.applyDesired(Map.of("Enabled", "no")));
        assertNull(state.applyDesired(Map.of()));
        assertTrue(state.shouldForward());
    }
}

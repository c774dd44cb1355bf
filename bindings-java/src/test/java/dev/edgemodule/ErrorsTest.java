package dev.edgemodule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every stable error code has its exception class, and names, descriptions and transience
 * come from the core's table: compared with the shared rows of tests/vectors/errors.json.
 */
class ErrorsTest {
    static final List<Class<? extends EdgeModuleException>> BY_CODE = List.of(
            InvalidArgumentException.class, ConfigException.class, UnauthorizedException.class,
            EdgeConnectionException.class, EdgeTimeoutException.class, ClientClosedException.class,
            MessageTooLargeException.class, EdgeProtocolException.class, ServiceException.class,
            OperationCancelledException.class, NotFoundException.class, ThrottledException.class,
            InternalException.class);

    @Test
    @SuppressWarnings("unchecked")
    void theTableMatchesTheSharedVectors() {
        List<Object> names = (List<Object>) Vectors.cases("errors.json", "all_codes").get(0).get("expected");
        assertEquals(names.size(), ErrorCodes.count(), "one row per code, OK included");
        assertEquals(BY_CODE.size() + 1, names.size(), "an exception class per error code");
        for (int code = 0; code < names.size(); code++) {
            assertEquals(names.get(code), ErrorCodes.name(code));
        }
        int checked = 0;
        for (Map<String, Object> c : Vectors.cases("errors.json", "code")) {
            int code = ((Number) c.get("input")).intValue();
            Map<String, Object> expected = (Map<String, Object>) c.get("expected");
            if (expected == null) {
                assertNull(ErrorCodes.description(code), c.get("name").toString());
                assertFalse(ErrorCodes.isTransient(code));
                assertEquals("UNKNOWN(" + code + ")", ErrorCodes.name(code));
                continue;
            }
            assertEquals(expected.get("name"), ErrorCodes.name(code));
            assertEquals(expected.get("description"), ErrorCodes.description(code));
            assertEquals(expected.get("transient"), ErrorCodes.isTransient(code));
            if (code > 0) {
                EdgeModuleException e = ErrorCodes.exception(code, "message " + code, -1);
                assertSame(BY_CODE.get(code - 1), e.getClass());
                assertEquals(code, e.code());
                assertEquals(expected.get("name"), e.errorName());
                assertEquals(expected.get("description"), e.description());
                assertEquals(expected.get("transient"), e.isTransient());
                assertEquals("message " + code, e.getMessage());
                assertInstanceOf(RuntimeException.class, e);
            }
            checked++;
        }
        assertEquals(names.size(), checked);
    }

    @Test
    @SuppressWarnings("unchecked")
    void hubStatusesKeepTheirKindsTransienceAndStatus() {
        for (Map<String, Object> c : Vectors.cases("errors.json", "from_status")) {
            Map<String, Object> expected = (Map<String, Object>) c.get("expected");
            int code = ErrorCodes.codeOf((String) expected.get("kind"));
            int status = ((Number) expected.get("status")).intValue();
            EdgeModuleException e = ErrorCodes.exception(code, "refused", status);
            assertEquals(expected.get("kind"), e.errorName(), c.get("name").toString());
            assertEquals(expected.get("transient"), e.isTransient(), c.get("name").toString());
            assertEquals(status, e.status().getAsInt(), c.get("name").toString());
        }
    }

    @Test
    void unknownCodesAndStatuses() {
        assertEquals(503, ErrorCodes.exception(9, "x", 503).status().getAsInt());
        assertFalse(ErrorCodes.exception(1, "x", 503).status().isPresent(), "no status for argument errors");
        EdgeModuleException unknown = ErrorCodes.exception(99, "odd", -1);
        assertInstanceOf(InternalException.class, unknown);
        assertTrue(unknown.getMessage().contains("99"));
        assertTrue(ErrorCodes.exception(9, "boom", 500).toString().contains("SERVICE (status 500): boom"));
        assertThrows(IllegalArgumentException.class, () -> ErrorCodes.codeOf("NOPE"));
    }

    @Test
    void nativeErrorsArriveAsTheirClasses() {
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> Native.deviceId(0));
        assertTrue(e.getMessage().contains("handle"), e.getMessage());
        assertThrows(InvalidArgumentException.class, () -> Native.create(Native.SOURCE_ENVIRONMENT_MAP, null,
                new String[] {"odd"}, new String[0]));
        assertThrows(InvalidArgumentException.class, () -> Native.create(Native.SOURCE_PROCESS_ENVIRONMENT, null,
                null, new String[] {"no_such_option", "1"}));
        assertThrows(ConfigException.class, () -> ModuleClient.createFromEnvironment(Map.of()));
        assertThrows(InvalidArgumentException.class, () -> Native.create(42, null, null, null));
    }

    @Test
    void theNativeLibraryMatchesTheClasses() {
        Native.ensureLoaded();
        assertEquals("linux-x86_64", NativeLoader.platform());
        assertTrue(Native.version().matches("\\d+\\.\\d+\\.\\d+.*"), Native.version());
        assertTrue(ErrorsTest.class.getResource("/native/linux-x86_64/libedgemodule_jni.so") != null,
                "the library is packed as a resource");
    }
}

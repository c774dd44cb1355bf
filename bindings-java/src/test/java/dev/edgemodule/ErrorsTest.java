package dev.edgemodule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every stable error code has its exception class; native errors arrive as those classes. */
class ErrorsTest {
    static final List<Class<? extends EdgeModuleException>> BY_CODE = List.of(
            InvalidArgumentException.class, ConfigException.class, UnauthorizedException.class,
            EdgeConnectionException.class, EdgeTimeoutException.class, ClientClosedException.class,
            MessageTooLargeException.class, EdgeProtocolException.class, ServiceException.class,
            OperationCancelledException.class, NotFoundException.class, ThrottledException.class,
            InternalException.class);
    static final List<String> NAMES = List.of("INVALID_ARGUMENT", "CONFIG", "UNAUTHORIZED", "CONNECTION",
            "TIMEOUT", "CLOSED", "MESSAGE_TOO_LARGE", "PROTOCOL", "SERVICE", "CANCELLED", "NOT_FOUND",
            "THROTTLED", "INTERNAL");

    @Test
    void everyCodeHasItsClassAndName() {
        for (int code = 1; code <= 13; code++) {
            EdgeModuleException e = ErrorCodes.exception(code, "message " + code, 503);
            assertSame(BY_CODE.get(code - 1), e.getClass());
            assertEquals(code, e.code());
            assertEquals(NAMES.get(code - 1), e.errorName());
            assertEquals("message " + code, e.getMessage());
            assertInstanceOf(RuntimeException.class, e);
        }
        assertEquals(503, ErrorCodes.exception(9, "x", 503).status().getAsInt());
        assertFalse(ErrorCodes.exception(1, "x", 503).status().isPresent(), "no status for argument errors");
        EdgeModuleException unknown = ErrorCodes.exception(99, "odd", -1);
        assertInstanceOf(InternalException.class, unknown);
        assertTrue(unknown.getMessage().contains("99"));
        assertTrue(ErrorCodes.exception(9, "boom", 500).toString().contains("SERVICE (status 500): boom"));
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

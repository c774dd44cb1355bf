package dev.edgemodule;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A native panic never reaches the JVM: it becomes InternalException, the client lives on. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PanicTest {
    static Hub hub;
    static ModuleClient client;

    @BeforeAll
    static void start() {
        hub = Hub.start();
        client = hub.client("sender");
    }

    @AfterAll
    static void stop() {
        client.close();
        hub.close();
    }

    private static long handle() throws Exception {
        java.lang.reflect.Field f = ModuleClient.class.getDeclaredField("handle");
        f.setAccessible(true);
        return f.getLong(client);
    }

    @Test
    void panicsBecomeInternalErrors() throws Exception {
        long handle = handle();
        InternalException inMethod = assertThrows(InternalException.class, () -> Native.testPanic(handle, 0, null));
        assertTrue(inMethod.getMessage().contains("a test panic in a native method"), inMethod.getMessage());
        assertThrows(InternalException.class, () -> Native.testPanic(handle, 1, null));
        EdgeFuture<String> future = new EdgeFuture<>(new Dispatcher("test"));
        Native.testPanic(handle, 1, future);
        ExecutionException async = assertThrows(ExecutionException.class, () -> future.get(10, TimeUnit.SECONDS));
        assertInstanceOf(InternalException.class, async.getCause());
        assertTrue(async.getCause().getMessage().contains("a test panic in an operation"));
        client.open();
        client.sendEvent(new Message("alive"), "up");
    }
}

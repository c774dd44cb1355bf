package dev.edgemodule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The JVM exits normally while a client is live (not closed, callbacks registered): its
 * callback thread is a daemon thread, and the shutdown hook closes the client. Also without
 * the hook, proving the daemon attachment alone lets the JVM exit.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class JvmExitTest {
    static Hub hub;

    @BeforeAll
    static void start() {
        hub = Hub.start();
    }

    @AfterAll
    static void stop() {
        hub.close();
    }

    private static void runProbe(String... jvmOptions) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xcheck:jni");
        command.addAll(List.of(jvmOptions));
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(ExitProbe.class.getName());
        for (Map.Entry<String, String> e : hub.env("sender", "workload").entrySet()) {
            command.add(e.getKey() + "=" + e.getValue());
        }
        Path log = Files.createTempFile("edgemodule-exit-", ".log");
        Process child = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long start = System.nanoTime();
        boolean exited = child.waitFor(30, TimeUnit.SECONDS);
        if (!exited) {
            child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        String output = new String(Files.readAllBytes(log), StandardCharsets.UTF_8);
        Files.deleteIfExists(log);
        assertTrue(exited, "the JVM did not exit with a live client:\n" + output);
        assertEquals(0, child.exitValue(), output);
        assertTrue(output.contains("READY"), output);
        assertTrue(output.contains("status DISCONNECTED -> CONNECTED"), output);
        assertTrue(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start) < 25);
    }

    @Test
    void exitsWithALiveClient() throws Exception {
        runProbe();
    }

    @Test
    void exitsWithoutTheShutdownHookToo() throws Exception {
        runProbe("-Dedgemodule.noShutdownHook=true");
    }
}

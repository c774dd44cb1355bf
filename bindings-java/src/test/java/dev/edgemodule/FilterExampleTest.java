package dev.edgemodule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * examples/java/filter behaves like the Rust filter: forwards hot readings, reports the
 * threshold, answers reset, follows desired-property changes, stops on SIGTERM. The example
 * source is compiled here against this build's classes and run as a module process.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class FilterExampleTest {
    static final Path SOURCES = Paths.get("..", "examples", "java", "filter", "src", "main", "java");
    static Hub hub;
    static Path classes;

    @BeforeAll
    static void start() throws Exception {
        hub = Hub.start();
        classes = Files.createTempDirectory("edgemodule-filter-");
        List<String> args = new ArrayList<>(List.of("-d", classes.toString(), "-cp", System.getProperty("java.class.path")));
        try (Stream<Path> files = Files.walk(SOURCES)) {
            args.addAll(files.filter(p -> p.toString().endsWith(".java")).map(Path::toString).collect(Collectors.toList()));
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertEquals(0, javac.run(null, null, null, args.toArray(new String[0])), "the example compiles");
    }

    @AfterAll
    static void stop() {
        hub.close();
    }

    @Test
    @SuppressWarnings("unchecked")
    void filtersReportsResetsAndFollowsTheTwin() throws Exception {
        List<String> command = List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", classes + java.io.File.pathSeparator + System.getProperty("java.class.path"),
                "dev.edgemodule.examples.filter.FilterModule");
        // stdout carries the example's own lines; stderr (its log records) goes to the test log.
        ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().putAll(hub.env("filter", "workload"));
        Process module = pb.start();
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(module.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    lines.add(line);
                }
            } catch (java.io.IOException e) {
                // the process ended
            }
        });
        reader.setDaemon(true);
        reader.start();
        BlockingQueue<Map<String, Object>> filtered = new LinkedBlockingQueue<>();
        try (ModuleClient receiver = hub.client("receiver"); ModuleClient sender = hub.client("sender")) {
            assertEquals("filter: connected as edge-device/filter, threshold 25", Wait.next(lines, 60));
            Wait.until("the threshold is reported", Duration.ofSeconds(20),
                    () -> reported(hub.twin("filter")) == 25.0);
            hub.invoke("filter", "reset", "null", 15); // count from zero
            receiver.setMessageCallback("filtered", m -> {
                filtered.add(Json.parseObject(m.getBodyAsString()));
                return IotHubMessageResult.COMPLETE;
            });
            receiver.open();

            String mark = Wait.token();
            double[] readings = {20.0, 22.5, 25.0, 27.5, 30.0, 32.5};
            for (double t : readings) {
                sender.sendEvent(new Message(Json.write(Map.of("temperature", t, "mark", mark))), "readings");
            }
            sender.sendEvent(new Message("not json"), "readings");
            List<Double> forwarded = new ArrayList<>();
            while (forwarded.size() < 3) {
                Map<String, Object> body = Wait.next(filtered, 30);
                if (mark.equals(body.get("mark"))) {
                    forwarded.add(((Number) body.get("temperature")).doubleValue());
                }
            }
            forwarded.sort(null);
            assertEquals(List.of(27.5, 30.0, 32.5), forwarded);
            Map<String, Object> reset = hub.invoke("filter", "reset", "null", 15);
            assertEquals(200L, reset.get("status"));
            assertEquals(Map.of("reset", true, "forwarded", 3L), reset.get("payload"));

            hub.setDesired("filter", "{\"TemperatureThreshold\":30}");
            Wait.until("the new threshold is reported", Duration.ofSeconds(20),
                    () -> reported(hub.twin("filter")) == 30.0);
            String mark2 = Wait.token();
            for (double t : readings) {
                sender.sendEvent(new Message(Json.write(Map.of("temperature", t, "mark", mark2))), "readings");
            }
            Map<String, Object> body = Wait.next(filtered, 30);
            while (!mark2.equals(body.get("mark"))) {
                body = Wait.next(filtered, 30);
            }
            assertEquals(32.5, ((Number) body.get("temperature")).doubleValue());
        } finally {
            // SIGTERM, as a container stop does (Process.destroy would also close our end of
            // the output pipe, losing the last lines).
            module.toHandle().destroy();
            boolean exited = module.waitFor(20, TimeUnit.SECONDS);
            if (!exited) {
                module.destroyForcibly();
            }
            reader.join(5000);
            hub.setDesired("filter", "{\"TemperatureThreshold\":25}");
            String output = String.join("\n", lines);
            assertTrue(exited, "the module stops on SIGTERM:\n" + output);
            assertTrue(output.contains("filter: stopping"), "exit " + module.exitValue() + ":\n" + output);
            // 143 = 128 + SIGTERM: how the JVM reports an exit through its shutdown hooks.
            assertTrue(module.exitValue() == 143 || module.exitValue() == 0, "exit " + module.exitValue() + "\n" + output);
        }
    }

    @SuppressWarnings("unchecked")
    private static double reported(Map<String, Object> twin) {
        Object value = ((Map<String, Object>) twin.get("reported")).get("TemperatureThreshold");
        return value instanceof Number ? ((Number) value).doubleValue() : -1;
    }
}

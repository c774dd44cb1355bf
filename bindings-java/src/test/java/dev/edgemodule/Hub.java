package dev.edgemodule;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * A running edgemodule-hub for the tests, following the launcher contract of
 * tests/conformance/README.md: the shared test deployment, a temporary state directory,
 * ports 0 read back from the hub's {@code ready} line (no polling for free ports), restarts
 * on the same addresses (S11), and the operator CLI ({@code env}, {@code twin},
 * {@code invoke}) with {@code --admin} and {@code EDGEMODULE_HUB_STATE}.
 */
final class Hub implements AutoCloseable {
    private static final String READY = "edgemodule-hub ready:";

    private final Path dir;
    private final Path state;
    private final Path log;
    private Process process;
    /** The ready line's pairs of the last start (device, mqtt, https, admin, workload, ...). */
    Map<String, String> ready = Map.of();
    int mqttPort;
    int httpsPort;
    int adminPort;

    private Hub(Path dir) {
        this.dir = dir;
        this.state = dir.resolve("state");
        this.log = dir.resolve("hub.log");
    }

    /** The hub binary: {@code -Dedgemodule.hub}, {@code EDGEMODULE_HUB}, or the debug build. */
    static String binary() {
        String bin = System.getProperty("edgemodule.hub");
        if (bin == null || bin.isEmpty()) {
            bin = System.getenv("EDGEMODULE_HUB");
        }
        if (bin == null || bin.isEmpty()) {
            bin = Paths.get("..", "target", "debug", "edgemodule-hub").toString();
        }
        return bin;
    }

    /** The shared test deployment: {@code -Dedgemodule.manifest}, or tests/conformance of the repository. */
    static Path manifest() {
        String manifest = System.getProperty("edgemodule.manifest");
        if (manifest == null || manifest.isEmpty()) {
            return Paths.get("..", "tests", "conformance", "deployment.json").toAbsolutePath().normalize();
        }
        return Paths.get(manifest).toAbsolutePath().normalize();
    }

    /** Starts a hub with the shared test deployment on ports the hub picks. */
    static Hub start() {
        try {
            Hub hub = new Hub(Files.createTempDirectory("edgemodule-java-"));
            hub.serve(0, 0, 0);
            return hub;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The {@code key=value} pairs of a ready line; keys this code does not know are kept too. */
    static Map<String, String> parseReady(String line) {
        if (!line.startsWith(READY)) {
            throw new IllegalArgumentException("not a ready line: " + line);
        }
        Map<String, String> pairs = new LinkedHashMap<>();
        for (String word : line.substring(READY.length()).trim().split("\\s+")) {
            int eq = word.indexOf('=');
            if (eq > 0) {
                pairs.put(word.substring(0, eq), word.substring(eq + 1));
            }
        }
        return pairs;
    }

    private static int portOf(String address) {
        return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
    }

    private void serve(int mqtt, int https, int admin) {
        try {
            ProcessBuilder pb = new ProcessBuilder(binary(), "serve", "--manifest", manifest().toString(),
                    "--state", state.toString(), "--bind-address", "127.0.0.1",
                    "--mqtt-port", Integer.toString(mqtt), "--https-port", Integer.toString(https),
                    "--admin-port", Integer.toString(admin), "--log-level", "warn");
            pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            pb.redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
            process = pb.start();
            CompletableFuture<String> readyLine = new CompletableFuture<>();
            Thread reader = new Thread(() -> readStdout(process.getInputStream(), readyLine), "hub-stdout");
            reader.setDaemon(true);
            reader.start();
            String line;
            try {
                line = readyLine.get(30, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                stop();
                throw new IllegalStateException("the hub did not start (" + e + "):\n" + log(), e);
            }
            ready = parseReady(line);
            mqttPort = portOf(ready.get("mqtt"));
            httpsPort = portOf(ready.get("https"));
            adminPort = portOf(ready.get("admin"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Completes {@code ready} with the ready line, then keeps draining stdout until the hub exits. */
    private static void readStdout(InputStream out, CompletableFuture<String> ready) {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(out, StandardCharsets.UTF_8))) {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                if (line.startsWith(READY)) {
                    ready.complete(line);
                }
            }
        } catch (IOException e) {
            ready.completeExceptionally(e);
        }
        ready.completeExceptionally(new IllegalStateException("the hub exited before it was ready"));
    }

    String admin() {
        return "127.0.0.1:" + adminPort;
    }

    /** Stops the hub (SIGTERM, then SIGKILL after 10 s). */
    void stop() {
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    /** Starts the stopped hub again on the addresses of its first start and the same state. */
    void startAgain() {
        serve(mqttPort, httpsPort, adminPort);
    }

    /** The same state served on other ports (the modules cannot reach it meanwhile). */
    Hub startElsewhere() {
        Hub other = new Hub(dir);
        other.serve(0, 0, 0);
        return other;
    }

    /** Runs {@code edgemodule-hub <args> --admin <addr>}; its stdout, or an exception. */
    String cli(String... args) {
        List<String> command = new ArrayList<>();
        command.add(binary());
        command.addAll(Arrays.asList(args));
        command.add("--admin");
        command.add(admin());
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.PIPE);
            pb.environment().put("EDGEMODULE_HUB_STATE", state.toString());
            Process p = pb.start();
            byte[] out = p.getInputStream().readAllBytes();
            byte[] err = p.getErrorStream().readAllBytes();
            if (!p.waitFor(90, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("edgemodule-hub " + String.join(" ", args) + " failed: "
                        + new String(err, StandardCharsets.UTF_8));
            }
            return new String(out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * The environment of {@code module}: form {@code workload} (IOTEDGE_* and the port
     * variables) or {@code connection-string}.
     */
    Map<String, String> env(String module, String form) {
        Map<String, String> env = new LinkedHashMap<>();
        for (String line : cli("env", module, "--format", "dotenv", "--form", form).split("\n")) {
            int eq = line.indexOf('=');
            if (line.startsWith("#") || eq < 0) {
                continue;
            }
            String value = line.substring(eq + 1);
            if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                value = value.substring(1, value.length() - 1).replace("\\\"", "\"").replace("\\\\", "\\");
            }
            env.put(line.substring(0, eq), value);
        }
        return env;
    }

    /** A client for {@code module} from its IoT Edge environment (workload API). */
    ModuleClient client(String module) {
        return ModuleClient.createFromEnvironment(env(module, "workload"));
    }

    /** A client for {@code module} from its environment, with options. */
    ModuleClient client(String module, ClientOptions options) {
        return ModuleClient.createFromEnvironment(env(module, "workload"), options);
    }

    /** The twin of {@code module} as the operator sees it. */
    Map<String, Object> twin(String module) {
        return Json.parseObject(cli("twin", module));
    }

    /** Sets desired properties of {@code module} (operator side); the new twin. */
    Map<String, Object> setDesired(String module, String desiredJson) {
        return Json.parseObject(cli("twin", module, "--desired", desiredJson));
    }

    /** Calls a direct method as the operator: {@code {"status":..,"payload":..}}. */
    Map<String, Object> invoke(String module, String method, String payloadJson, int timeoutSeconds) {
        return Json.parseObject(cli("invoke", module, method, payloadJson, "--timeout", Integer.toString(timeoutSeconds)));
    }

    /**
     * What the hub observed about {@code module}'s traffic (contract 5: {@code edgemodule-hub
     * inspect}): {@code connected}, {@code connections}, {@code subscriptions},
     * {@code delivered}, {@code redelivered}, {@code acks_in_order}, {@code acks_out_of_order},
     * {@code publishes_received}, {@code dup_publishes_received}, cumulative since the hub started.
     */
    Map<String, Object> inspect(String module) {
        return Json.parseObject(cli("inspect", module));
    }

    /** A counter of an inspection. */
    static long counter(Map<String, Object> inspection, String key) {
        Object value = inspection.get(key);
        if (!(value instanceof Number)) {
            throw new IllegalStateException("the inspection has no counter " + key + ": " + inspection);
        }
        return ((Number) value).longValue();
    }

    /** PUBACKs the hub received from the module, in order or not. */
    static long acks(Map<String, Object> inspection) {
        return counter(inspection, "acks_in_order") + counter(inspection, "acks_out_of_order");
    }

    /** Polls {@link #inspect} until {@code done} holds (fails after {@code seconds}); that inspection. */
    Map<String, Object> awaitInspect(String module, int seconds, String what,
            java.util.function.Predicate<Map<String, Object>> done) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        Map<String, Object> last = inspect(module);
        while (!done.test(last)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + ": not reached within " + seconds + " s; last inspection: " + last);
            }
            Wait.sleep(50);
            last = inspect(module);
        }
        return last;
    }

    String log() {
        try {
            return Files.exists(log) ? new String(Files.readAllBytes(log), StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public void close() {
        stop();
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort
        }
    }
}

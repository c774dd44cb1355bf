package dev.edgemodule;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
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
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A running edgemodule-hub for the tests: the test manifest, a temporary state directory,
 * explicit free ports (so it can restart on the same ones, S11), and the operator CLI
 * ({@code env}, {@code twin}, {@code invoke}).
 */
final class Hub implements AutoCloseable {
    private final Path dir;
    private final Path manifest;
    private final Path state;
    private final Path log;
    private Process process;
    int mqttPort;
    int httpsPort;
    int adminPort;

    private Hub(Path dir) {
        this.dir = dir;
        this.manifest = dir.resolve("deployment.json");
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

    /** Starts a hub with the test manifest. */
    static Hub start() {
        try {
            Path dir = Files.createTempDirectory("edgemodule-java-");
            Hub hub = new Hub(dir);
            try (InputStream in = Hub.class.getResourceAsStream("/deployment.json")) {
                Files.copy(in, hub.manifest);
            }
            hub.serve(freePort(), freePort(), freePort());
            return hub;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void serve(int mqtt, int https, int admin) {
        try {
            long offset = Files.exists(log) ? Files.size(log) : 0;
            ProcessBuilder pb = new ProcessBuilder(binary(), "serve", "--manifest", manifest.toString(),
                    "--state", state.toString(), "--bind-address", "127.0.0.1",
                    "--mqtt-port", Integer.toString(mqtt), "--https-port", Integer.toString(https),
                    "--admin-port", Integer.toString(admin), "--log-level", "warn");
            pb.redirectErrorStream(true);
            pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            process = pb.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (true) {
                String text = Files.exists(log) ? new String(Files.readAllBytes(log), StandardCharsets.UTF_8) : "";
                if (text.length() > offset && text.substring((int) Math.min(offset, text.length()))
                        .contains("edgemodule-hub ready:")) {
                    break;
                }
                if (!process.isAlive()) {
                    throw new IllegalStateException("the hub exited with " + process.exitValue() + ":\n" + text);
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the hub did not start:\n" + text);
                }
                Thread.sleep(50);
            }
            mqttPort = mqtt;
            httpsPort = https;
            adminPort = admin;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
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

    /** Starts the stopped hub again on the same ports and state. */
    void startAgain() {
        serve(mqttPort, httpsPort, adminPort);
    }

    /** The same state served on other ports (the modules cannot reach it meanwhile). */
    Hub startElsewhere() {
        Hub other = new Hub(dir);
        other.serve(freePort(), freePort(), freePort());
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
            // The admin API needs the token in the hub's state directory.
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

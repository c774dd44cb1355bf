package smoke;

import dev.edgemodule.DirectMethodRequest;
import dev.edgemodule.DirectMethodResponse;
import dev.edgemodule.IotHubMessageResult;
import dev.edgemodule.Message;
import dev.edgemodule.ModuleClient;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Uses dev.edgemodule:edgemodule as an application would: starts a local hub, connects two
 * modules from the environment the hub prints, sends a message from one to the other,
 * calls a direct method and patches the twin. Exits 0 and prints "SMOKE OK" on success.
 */
public final class RoundTrip {
    private RoundTrip() {}

    public static void main(String[] args) throws Exception {
        String hubBinary = args[0];
        String manifest = args[1];
        Path dir = Files.createTempDirectory("edgemodule-smoke-");
        Process hub = null;
        try {
            // Ports 0: the hub picks them and says which in its ready line.
            hub = new ProcessBuilder(hubBinary, "serve", "--manifest", manifest,
                    "--state", dir.resolve("state").toString(), "--bind-address", "127.0.0.1",
                    "--mqtt-port", "0", "--https-port", "0", "--admin-port", "0", "--log-level", "warn")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("hub.log").toFile()).start();
            String admin = readyValue(waitForReady(dir.resolve("hub.log"), hub), "admin");
            run(hubBinary, admin, dir.resolve("state").toString());
            System.out.println("SMOKE OK");
        } finally {
            if (hub != null) {
                hub.destroy();
                hub.waitFor(10, TimeUnit.SECONDS);
            }
            try (Stream<Path> paths = Files.walk(dir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Sender (a) → receiver (b) through the shared test deployment's route output1 → input1. */
    private static void run(String hubBinary, String admin, String state) throws Exception {
        BlockingQueue<Message> received = new LinkedBlockingQueue<>();
        try (ModuleClient b = ModuleClient.createFromEnvironment(env(hubBinary, admin, state, "receiver"));
                ModuleClient a = ModuleClient.createFromEnvironment(env(hubBinary, admin, state, "sender"))) {
            b.setMessageCallback("input1", m -> {
                received.add(m);
                return IotHubMessageResult.COMPLETE;
            });
            b.setMethodHandler("double", (name, payload) ->
                    new DirectMethodResponse(200, Map.of("value", 2 * ((Number) payload.getPayload()).longValue())));
            b.open();
            a.sendEvent(new Message("ping").setProperty("k", "v"), "output1");
            Message m = received.poll(30, TimeUnit.SECONDS);
            check(m != null && m.getBodyAsString().equals("ping") && "v".equals(m.getProperty("k")),
                    "message round trip: " + m);
            check("sender".equals(m.getConnectionModuleId()), "sender identity: " + m);
            DirectMethodResponse r = a.invokeMethod(a.getDeviceId(), "receiver", new DirectMethodRequest("double", 21));
            check(r.getStatus() == 200 && Map.of("value", 42L).equals(r.getPayload()), "method round trip: " + r);
            a.updateReportedPropertiesAsync(Map.of("smoke", "ok")).get(30, TimeUnit.SECONDS);
            check("ok".equals(a.getTwin().getReportedProperties().get("smoke")), "twin round trip");
        }
    }

    private static Map<String, String> env(String hubBinary, String admin, String state, String module)
            throws Exception {
        List<String> command = new ArrayList<>(List.of(hubBinary, "env", module, "--format", "dotenv",
                "--form", "workload", "--admin", admin));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("EDGEMODULE_HUB_STATE", state);
        Process p = pb.start();
        String out;
        try (InputStream in = p.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        check(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0, "edgemodule-hub env " + module);
        Map<String, String> env = new LinkedHashMap<>();
        for (String line : out.split("\n")) {
            int eq = line.indexOf('=');
            if (!line.startsWith("#") && eq > 0) {
                env.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return env;
    }

    /** The hub's ready line, once it is in the log. */
    private static String waitForReady(Path log, Process hub) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            String text = Files.exists(log) ? Files.readString(log) : "";
            for (String line : text.split("\n")) {
                if (line.startsWith("edgemodule-hub ready:")) {
                    return line;
                }
            }
            check(hub.isAlive() && System.nanoTime() < deadline, "the hub did not start: " + text);
            Thread.sleep(50);
        }
    }

    /** The value of {@code key} among the ready line's key=value pairs. */
    private static String readyValue(String ready, String key) {
        for (String word : ready.substring("edgemodule-hub ready:".length()).trim().split("\\s+")) {
            if (word.startsWith(key + "=")) {
                return word.substring(key.length() + 1);
            }
        }
        check(false, "no " + key + " in the ready line: " + ready);
        return null;
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            System.err.println("SMOKE FAILED: " + what);
            System.exit(1);
        }
    }
}

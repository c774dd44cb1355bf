package smoke;

import dev.edgemodule.DirectMethodRequest;
import dev.edgemodule.DirectMethodResponse;
import dev.edgemodule.IotHubMessageResult;
import dev.edgemodule.Message;
import dev.edgemodule.ModuleClient;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
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
    private static final String MANIFEST = "{\"modulesContent\":{"
            + "\"$edgeAgent\":{\"properties.desired\":{\"schemaVersion\":\"1.1\",\"modules\":{"
            + "\"a\":{\"type\":\"docker\",\"settings\":{\"image\":\"a\"}},"
            + "\"b\":{\"type\":\"docker\",\"settings\":{\"image\":\"b\"}}}}},"
            + "\"$edgeHub\":{\"properties.desired\":{\"schemaVersion\":\"1.1\",\"routes\":{"
            + "\"ab\":\"FROM /messages/modules/a/outputs/out INTO BrokeredEndpoint(\\\"/modules/b/inputs/in\\\")\"},"
            + "\"storeAndForwardConfiguration\":{\"timeToLiveSecs\":60}}}}}";

    private RoundTrip() {}

    public static void main(String[] args) throws Exception {
        String hubBinary = args[0];
        Path dir = Files.createTempDirectory("edgemodule-smoke-");
        Process hub = null;
        try {
            Files.writeString(dir.resolve("deployment.json"), MANIFEST);
            String admin = "127.0.0.1:" + freePort();
            hub = new ProcessBuilder(hubBinary, "serve", "--manifest", dir.resolve("deployment.json").toString(),
                    "--state", dir.resolve("state").toString(), "--bind-address", "127.0.0.1",
                    "--mqtt-port", Integer.toString(freePort()), "--https-port", Integer.toString(freePort()),
                    "--admin-port", admin.substring(admin.indexOf(':') + 1), "--log-level", "warn")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("hub.log").toFile()).start();
            waitForReady(dir.resolve("hub.log"), hub);
            run(hubBinary, admin, dir.resolve("state"));
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

    private static void run(String hubBinary, String admin, Path state) throws Exception {
        BlockingQueue<Message> received = new LinkedBlockingQueue<>();
        try (ModuleClient b = ModuleClient.createFromEnvironment(env(hubBinary, admin, state, "b"));
                ModuleClient a = ModuleClient.createFromEnvironment(env(hubBinary, admin, state, "a"))) {
            b.setMessageCallback("in", m -> {
                received.add(m);
                return IotHubMessageResult.COMPLETE;
            });
            b.setMethodHandler("double", (name, payload) ->
                    new DirectMethodResponse(200, Map.of("value", 2 * ((Number) payload.getPayload()).longValue())));
            b.open();
            a.sendEvent(new Message("ping").setProperty("k", "v"), "out");
            Message m = received.poll(30, TimeUnit.SECONDS);
            check(m != null && m.getBodyAsString().equals("ping") && "v".equals(m.getProperty("k")),
                    "message round trip: " + m);
            check("a".equals(m.getConnectionModuleId()), "sender identity: " + m);
            DirectMethodResponse r = a.invokeMethod(a.getDeviceId(), "b", new DirectMethodRequest("double", 21));
            check(r.getStatus() == 200 && Map.of("value", 42L).equals(r.getPayload()), "method round trip: " + r);
            a.updateReportedPropertiesAsync(Map.of("smoke", "ok")).get(30, TimeUnit.SECONDS);
            check("ok".equals(a.getTwin().getReportedProperties().get("smoke")), "twin round trip");
        }
    }

    private static Map<String, String> env(String hubBinary, String admin, Path state, String module)
            throws Exception {
        List<String> command = new ArrayList<>(List.of(hubBinary, "env", module, "--format", "dotenv",
                "--form", "workload", "--admin", admin));
        ProcessBuilder pb = new ProcessBuilder(command);
        // The admin API needs the token in the hub's state directory.
        pb.environment().put("EDGEMODULE_HUB_STATE", state.toString());
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

    private static void waitForReady(Path log, Process hub) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!(Files.exists(log) && Files.readString(log).contains("edgemodule-hub ready:"))) {
            check(hub.isAlive() && System.nanoTime() < deadline,
                    "the hub did not start: " + (Files.exists(log) ? Files.readString(log) : ""));
            Thread.sleep(50);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            System.err.println("SMOKE FAILED: " + what);
            System.exit(1);
        }
    }
}

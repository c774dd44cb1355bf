package dev.edgemodule;

import java.util.HashMap;
import java.util.Map;

/**
 * A child JVM for {@link JvmExitTest}: connects a client from the environment given as
 * {@code NAME=value} arguments, registers callbacks, sends a message, prints READY and returns
 * from main without closing the client. The JVM must then exit by itself.
 */
public final class ExitProbe {
    private ExitProbe() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> env = new HashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            env.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        ModuleClient client = ModuleClient.createFromEnvironment(env);
        client.setMessageCallback(m -> IotHubMessageResult.COMPLETE);
        client.setMethodHandler((name, payload) -> new DirectMethodResponse(200, null));
        client.subscribeToDesiredProperties(patch -> { });
        client.setConnectionStatusChangeCallback(c -> System.out.println("status " + c));
        client.open();
        // A future completed on the callback thread, and a blocking call from a callback.
        client.sendEventAsync(new Message("bye"), "up").get();
        client.getTwin();
        System.out.println("READY");
        System.out.flush();
        // Keep the client reachable to the very end of main, so exiting with it live is tested.
        java.lang.ref.Reference.reachabilityFence(client);
    }
}

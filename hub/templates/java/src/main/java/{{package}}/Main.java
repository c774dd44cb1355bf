package {{package}};

import dev.edgemodule.DirectMethodResponse;
import dev.edgemodule.EdgeModuleException;
import dev.edgemodule.IotHubMessageResult;
import dev.edgemodule.Message;
import dev.edgemodule.ModuleClient;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * {{name}}: an IoT Edge module on edgemodule (Java). Forwards messages from {@code input1}
 * to {@code output1} while the desired property {@code Enabled} is true, reports
 * {@code Enabled}, and answers the direct method {@code status}. It connects with the
 * environment IoT Edge gives a module ({@code edgemodule-hub env {{name}}} prints it).
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) throws InterruptedException {
        CountDownLatch stop = new CountDownLatch(1);
        ModuleState state = new ModuleState();
        try (ModuleClient client = ModuleClient.createFromEnvironment()) {
            // Callbacks run one at a time on the client's callback thread.
            client.setMessageCallback("input1", (Message message) -> {
                if (!state.shouldForward()) {
                    return IotHubMessageResult.COMPLETE;
                }
                try {
                    client.sendEvent(message, "output1");
                    state.countForwarded();
                    return IotHubMessageResult.COMPLETE;
                } catch (EdgeModuleException e) {
                    System.err.println("{{name}}: forwarding failed, will retry: " + e.getMessage());
                    return IotHubMessageResult.ABANDON;
                }
            });
            client.setMethodHandler("status", (name, payload) -> new DirectMethodResponse(200, state.status()));
            client.subscribeToDesiredProperties(patch -> report(client, state.applyDesired(patch)));
            client.open();
            report(client, state.applyDesired(client.getTwin().getDesiredProperties()));
            System.out.println("{{name}}: connected");

            Thread main = Thread.currentThread();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                System.out.println("{{name}}: stopping");
                stop.countDown();
                client.close();
                try {
                    main.join(5000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "{{name}}-shutdown"));
            stop.await();
        } catch (EdgeModuleException e) {
            System.err.println("{{name}}: " + e);
            System.exit(1);
        }
    }

    private static void report(ModuleClient client, Map<String, Object> reported) {
        if (reported == null) {
            return;
        }
        try {
            client.updateReportedProperties(reported);
            System.out.println("{{name}}: reported " + reported);
        } catch (EdgeModuleException e) {
            System.err.println("{{name}}: reporting failed: " + e.getMessage());
        }
    }
}

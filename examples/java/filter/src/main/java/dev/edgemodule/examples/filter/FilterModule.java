package dev.edgemodule.examples.filter;

import dev.edgemodule.DirectMethodResponse;
import dev.edgemodule.EdgeModuleException;
import dev.edgemodule.IotHubMessageResult;
import dev.edgemodule.Message;
import dev.edgemodule.ModuleClient;
import dev.edgemodule.Twin;
import dev.edgemodule.TwinCollection;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sample filter module: reads {@code input1}, forwards readings whose JSON
 * {@code temperature} exceeds the desired property {@code TemperatureThreshold} (default 25)
 * to {@code output1}, reports the threshold in use, and answers the {@code reset} direct
 * method with the number of messages forwarded since the last reset.
 *
 * <p>Run it with the environment IoT Edge (or {@code edgemodule-hub env filter}) provides.
 */
public final class FilterModule {
    /** Threshold used until the twin says otherwise. */
    private static final double DEFAULT_THRESHOLD = 25.0;
    /**
     * The {@code temperature} member of a flat JSON reading. The sample has no JSON library;
     * a real module would parse the body with the one it uses (Jackson, Gson, ...).
     */
    private static final Pattern TEMPERATURE =
            Pattern.compile("\"temperature\"\\s*:\\s*(-?\\d+(?:\\.\\d+)?(?:[eE][-+]?\\d+)?)");

    private final ModuleClient client;
    // Callbacks run one at a time on the client's callback thread; volatile for main's reads.
    private volatile double threshold = DEFAULT_THRESHOLD;
    private Double reported;
    private long forwarded;

    private FilterModule(ModuleClient client) {
        this.client = client;
    }

    public static void main(String[] args) throws InterruptedException {
        CountDownLatch stop = new CountDownLatch(1);
        try (ModuleClient client = ModuleClient.createFromEnvironment()) {
            FilterModule filter = new FilterModule(client);
            // Register callbacks before connecting so no message waits for a consumer.
            client.setMessageCallback("input1", filter::onMessage);
            client.setMethodHandler("reset", (name, payload) -> filter.onReset());
            client.subscribeToDesiredProperties(filter::onDesired);
            client.setBackgroundErrorCallback(error -> System.err.println("filter: " + error));
            client.open();

            Twin twin = client.getTwin();
            Double desired = thresholdIn(twin.getDesiredProperties());
            filter.threshold = desired != null ? desired : DEFAULT_THRESHOLD;
            filter.reported = thresholdIn(twin.getReportedProperties());
            filter.reportThreshold();
            System.out.println("filter: connected as " + client.getDeviceId() + "/" + client.getModuleId()
                    + ", threshold " + format(filter.threshold));

            Thread main = Thread.currentThread();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                System.out.println("filter: stopping");
                stop.countDown(); // main leaves its try-with-resources block, which closes the client
                try {
                    main.join(5000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "filter-shutdown"));
            stop.await();
        } catch (EdgeModuleException e) {
            System.err.println("filter: " + e);
            System.exit(1);
        }
    }

    /**
     * Forwards a hot reading, then completes. If forwarding fails it abandons the message: the
     * client calls this again with it after the redelivery delay (a few times, then it drops it
     * and reports it to the background-error callback).
     */
    private IotHubMessageResult onMessage(Message message) {
        Double temperature = temperatureIn(message.getBodyAsString());
        if (temperature == null) {
            System.err.println("filter: skipping a message without a numeric temperature");
            return IotHubMessageResult.COMPLETE;
        }
        if (temperature <= threshold) {
            return IotHubMessageResult.COMPLETE;
        }
        try {
            client.sendEvent(message, "output1");
        } catch (EdgeModuleException e) {
            System.err.println("filter: forwarding failed, will retry: " + e.getMessage());
            return IotHubMessageResult.ABANDON;
        }
        forwarded++;
        System.out.println("filter: forwarded " + format(temperature) + " (> " + format(threshold) + "), "
                + forwarded + " since reset");
        return IotHubMessageResult.COMPLETE;
    }

    private DirectMethodResponse onReset() {
        long count = forwarded;
        forwarded = 0;
        System.out.println("filter: reset after " + count + " forwarded messages");
        return new DirectMethodResponse(200, Map.of("reset", true, "forwarded", count));
    }

    private void onDesired(TwinCollection patch) {
        Double value = thresholdIn(patch);
        if (value == null) {
            return;
        }
        threshold = value;
        System.out.println("filter: threshold now " + format(value) + " (desired $version " + patch.getVersion() + ")");
        try {
            reportThreshold();
        } catch (EdgeModuleException e) {
            System.err.println("filter: could not report the threshold: " + e.getMessage());
        }
    }

    /** Reports the threshold when it differs from what the twin shows. */
    private void reportThreshold() {
        if (reported != null && reported == threshold) {
            return;
        }
        client.updateReportedProperties(Map.of("TemperatureThreshold", threshold));
        reported = threshold;
    }

    /** {@code TemperatureThreshold} from a desired/reported section or patch. */
    private static Double thresholdIn(Map<String, Object> section) {
        Object value = section.get("TemperatureThreshold");
        return value instanceof Number ? ((Number) value).doubleValue() : null;
    }

    /** The numeric {@code temperature} of a JSON body, or null. */
    private static Double temperatureIn(String body) {
        Matcher m = TEMPERATURE.matcher(body);
        return m.find() ? Double.valueOf(m.group(1)) : null;
    }

    /** 25.0 as "25", 27.5 as "27.5" (as the other examples print). */
    private static String format(double value) {
        return value == Math.rint(value) && Math.abs(value) < 1e15 ? Long.toString((long) value) : Double.toString(value);
    }
}

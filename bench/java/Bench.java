// Java module-client benchmark over the dev.edgemodule jar. One measurement per run, one JSON
// line on stdout:
//
//   java -cp edgemodule.jar:. Bench send   --size B --window W [--batch N] --warmup S --round S --rounds N
//   java -cp edgemodule.jar:. Bench memory --idle S --messages N --size B --window W
//
// The identity is the IoT Edge environment of the process (bench/measure.py puts the sender
// module's there). `window` sends are in flight: each completion starts the next send (with
// --batch N, each is a sendEventsAsync of N messages: window × N in flight).
import dev.edgemodule.ClientOptions;
import dev.edgemodule.Message;
import dev.edgemodule.ModuleClient;

import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

public final class Bench {
    private static final long BARE_RSS_KIB = statusKib("VmRSS:");
    private static final AtomicLong ACKED = new AtomicLong();
    private static final AtomicLong ISSUED = new AtomicLong();
    private static volatile boolean stop;
    private static volatile Throwable failure;

    private static long statusKib(String field) {
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]);
                }
            }
        } catch (java.io.IOException e) {
            return -1;
        }
        return -1;
    }

    private static double arg(String[] args, String name, double dflt) {
        int i = Arrays.asList(args).indexOf("--" + name);
        return i < 0 || i + 1 >= args.length ? dflt : Double.parseDouble(args[i + 1]);
    }

    /** One of `window` chains: send, and on the acknowledgement send the next. */
    private static void sendNext(ModuleClient client, byte[] body, long limit, int batch, CountDownLatch chains) {
        if (stop || failure != null || (limit > 0 && ISSUED.addAndGet(batch) - batch >= limit)) {
            chains.countDown();
            return;
        }
        CompletableFuture<Void> sent;
        if (batch > 1) {
            List<Message> messages = new ArrayList<>(batch);
            for (int i = 0; i < batch; i++) {
                messages.add(new Message(body));
            }
            sent = client.sendEventsAsync(messages, "upstream");
        } else {
            sent = client.sendEventAsync(new Message(body), "upstream");
        }
        sent.whenComplete((ok, error) -> {
            if (error != null) {
                failure = error;
            } else {
                ACKED.addAndGet(batch);
            }
            sendNext(client, body, limit, batch, chains);
        });
    }

    private static int batch(String[] args) {
        return Math.max(1, (int) arg(args, "batch", 1));
    }

    private static CountDownLatch start(ModuleClient client, String[] args, long limit, int batch) {
        int window = (int) arg(args, "window", 100);
        byte[] body = new byte[(int) arg(args, "size", 256)];
        Arrays.fill(body, (byte) 'x');
        CountDownLatch chains = new CountDownLatch(window);
        for (int i = 0; i < window; i++) {
            sendNext(client, body, limit, batch, chains);
        }
        return chains;
    }

    private static void await(CountDownLatch chains) throws Exception {
        chains.await();
        if (failure != null) {
            throw new Exception("send failed", failure);
        }
    }

    private static String send(ModuleClient client, String[] args) throws Exception {
        CountDownLatch chains = start(client, args, 0, batch(args));
        Thread.sleep((long) (arg(args, "warmup", 1) * 1000));
        List<String> rates = new ArrayList<>();
        long first = ACKED.get();
        long cpu0 = processCpuNanos();
        for (int r = 0; r < (int) arg(args, "rounds", 5); r++) {
            long n0 = ACKED.get();
            long t0 = System.nanoTime();
            Thread.sleep((long) (arg(args, "round", 1) * 1000));
            rates.add(String.format(Locale.ROOT, "%.1f", (ACKED.get() - n0) / ((System.nanoTime() - t0) / 1e9)));
        }
        double cpu = (processCpuNanos() - cpu0) / 1e9;
        long acked = ACKED.get() - first;
        stop = true;
        await(chains);
        return "{\"rounds\": [" + String.join(", ", rates) + "], \"cpu_s\": "
                + String.format(Locale.ROOT, "%.3f", cpu) + ", \"acked\": " + acked + "}";
    }

    /** CPU time of the whole process (every thread, the JVM's own too), user + system. */
    private static long processCpuNanos() {
        java.lang.management.OperatingSystemMXBean os =
                java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean) {
            return ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime();
        }
        return 0L;
    }

    private static String memory(ModuleClient client, String[] args) throws Exception {
        long messages = (long) arg(args, "messages", 100000);
        Thread.sleep((long) (arg(args, "idle", 2) * 1000));
        long idle = statusKib("VmRSS:");
        long t0 = System.nanoTime();
        await(start(client, args, messages, 1));
        return String.format(Locale.ROOT,
                "{\"bare_rss_kib\": %d, \"idle_rss_kib\": %d, \"after_rss_kib\": %d, \"peak_rss_kib\": %d, "
                        + "\"messages\": %d, \"seconds\": %.3f}",
                BARE_RSS_KIB, idle, statusKib("VmRSS:"), statusKib("VmHWM:"), ACKED.get(), (System.nanoTime() - t0) / 1e9);
    }

    /** One send at a time, 10 ms apart, until killed; the driver restarts the hub meanwhile. */
    private static void reconnect(ModuleClient client) throws Exception {
        byte[] body = new byte[256];
        Arrays.fill(body, (byte) 'x');
        System.out.println("ready");
        while (true) {
            String what;
            try {
                client.sendEventAsync(new Message(body), "upstream").get(60, java.util.concurrent.TimeUnit.SECONDS);
                what = "ack";
            } catch (Exception e) {
                what = "fail";
            }
            System.out.println(String.format(Locale.ROOT, "%s %.1f", what, System.currentTimeMillis() * 1.0));
            Thread.sleep(10);
        }
    }

    public static void main(String[] args) throws Exception {
        ClientOptions options = new ClientOptions().maxInflight(Math.min((int) arg(args, "window", 100) * batch(args), 65535));
        String result;
        try (ModuleClient client = ModuleClient.createFromEnvironment(options)) {
            client.open();
            switch (args[0]) {
                case "send": result = send(client, args); break;
                case "memory": result = memory(client, args); break;
                case "reconnect": reconnect(client); return;
                default: throw new IllegalArgumentException("unknown mode " + args[0]);
            }
        }
        System.out.println(result);
        System.exit(0);
    }
}

package dev.edgemodule;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Bounded waiting for the tests. */
final class Wait {
    private Wait() {}

    /** Polls {@code condition} until it holds; fails after {@code timeout}. */
    static void until(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out after " + timeout + " waiting for " + what);
            }
            sleep(50);
        }
    }

    /** The next item of {@code queue}; fails after {@code seconds}. */
    static <T> T next(BlockingQueue<T> queue, int seconds) {
        try {
            T item = queue.poll(seconds, TimeUnit.SECONDS);
            if (item == null) {
                fail("nothing arrived within " + seconds + " s");
            }
            return item;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A fresh marker to tell this test's messages from earlier ones. */
    static String token() {
        return UUID.randomUUID().toString();
    }
}

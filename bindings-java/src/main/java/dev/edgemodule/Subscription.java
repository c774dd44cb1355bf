package dev.edgemodule;

/**
 * A user-topic subscription made by {@link ModuleClient#subscribe}. {@link #close()} ends it
 * (idempotent).
 */
public final class Subscription implements AutoCloseable {
    private final ModuleClient client;
    private final long id;
    private final String filter;

    Subscription(ModuleClient client, long id, String filter) {
        this.client = client;
        this.id = id;
        this.filter = filter;
    }

    /** @return the topic filter */
    public String getTopicFilter() {
        return filter;
    }

    /**
     * Stops delivering this subscription's messages and, unless another subscription of this
     * client uses the same filter, unsubscribes: returns once the hub confirmed it.
     *
     * @throws EdgeTimeoutException when the hub did not confirm within the operation timeout
     *     (delivery has stopped anyway)
     */
    @Override
    public void close() {
        client.unsubscribe(id);
    }
}

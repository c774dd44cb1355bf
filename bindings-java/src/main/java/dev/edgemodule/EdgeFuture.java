package dev.edgemodule;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The futures {@link ModuleClient} returns. They complete on the client's callback thread,
 * so waiting for one <em>on</em> that thread (inside a callback) could never end: that throws
 * {@link IllegalStateException} instead of hanging. Inside callbacks use the blocking methods
 * ({@code sendEvent}) or continuations ({@code thenAccept}).
 */
final class EdgeFuture<T> extends CompletableFuture<T> {
    private final Dispatcher dispatcher;

    EdgeFuture(Dispatcher dispatcher) {
        this.dispatcher = dispatcher;
    }

    void enterCallbackThread() {
        dispatcher.enter();
    }

    @Override
    public <U> CompletableFuture<U> newIncompleteFuture() {
        return new EdgeFuture<>(dispatcher);
    }

    @Override
    public T get() throws InterruptedException, ExecutionException {
        checkNotCallbackThread();
        return super.get();
    }

    @Override
    public T get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
        checkNotCallbackThread();
        return super.get(timeout, unit);
    }

    @Override
    public T join() {
        checkNotCallbackThread();
        return super.join();
    }

    private void checkNotCallbackThread() {
        if (!isDone() && dispatcher.onCallbackThread()) {
            throw new IllegalStateException("waiting for an edgemodule future inside one of its "
                    + "client's callbacks would never end (the future completes on this thread); "
                    + "use the blocking method (e.g. sendEvent) or a continuation (thenAccept)");
        }
    }
}

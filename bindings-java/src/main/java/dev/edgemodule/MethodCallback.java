package dev.edgemodule;

/**
 * Handles direct-method calls ({@link ModuleClient#setMethodHandler(String, MethodCallback)} or
 * the default handler {@link ModuleClient#setMethodHandler(MethodCallback)}). Runs on the
 * registration's own thread, one call at a time. A callback that throws (or returns null)
 * is not retried: the caller gets status 500 with the payload
 * {@code {"error":"HANDLER_FAILED","message":"the method handler failed"}} (the same bytes
 * in every language), and the failure goes to the log and the background-error callback.
 */
@FunctionalInterface
public interface MethodCallback {
    /**
     * Handles one call.
     *
     * @param methodName the method that was called
     * @param payload the request payload
     * @return the response (status and payload)
     */
    DirectMethodResponse onMethodInvoked(String methodName, DirectMethodPayload payload);
}

package dev.edgemodule;

/**
 * Handles direct-method calls ({@link ModuleClient#setMethodHandler(String, MethodCallback)} or
 * the default handler {@link ModuleClient#setMethodHandler(MethodCallback)}). Runs on the
 * client's callback thread. A callback that throws (or returns null) answers status 500.
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

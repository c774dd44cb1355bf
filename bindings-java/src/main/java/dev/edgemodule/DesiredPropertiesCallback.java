package dev.edgemodule;

/**
 * Receives desired-property patches ({@link ModuleClient#subscribeToDesiredProperties}). Runs
 * on its own thread, one patch at a time, in order; one that throws is called again with the
 * same patch, as a {@link MessageCallback} is. After a reconnect during which the desired
 * properties changed, it receives a catch-up patch: the whole desired section with its new
 * version.
 */
@FunctionalInterface
public interface DesiredPropertiesCallback {
    /**
     * Handles one patch.
     *
     * @param patch the changed properties (null values were removed), with
     *     {@link TwinCollection#getVersion()} the desired {@code $version} after the patch
     */
    void onDesiredPropertiesUpdated(TwinCollection patch);
}

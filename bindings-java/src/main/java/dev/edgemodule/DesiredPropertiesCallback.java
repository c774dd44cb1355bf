package dev.edgemodule;

/**
 * Receives desired-property patches ({@link ModuleClient#subscribeToDesiredProperties}). Runs
 * on the client's callback thread. After a reconnect during which the desired properties
 * changed, it receives a catch-up patch: the whole desired section with its new version.
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

package dev.edgemodule;

/** A connection status change, given to an {@link IotHubConnectionStatusChangeCallback}. */
public final class ConnectionStatusChangeContext {
    private final IotHubConnectionStatus newStatus;
    private final IotHubConnectionStatus previousStatus;
    private final IotHubConnectionStatusChangeReason reason;

    ConnectionStatusChangeContext(
            IotHubConnectionStatus newStatus,
            IotHubConnectionStatus previousStatus,
            IotHubConnectionStatusChangeReason reason) {
        this.newStatus = newStatus;
        this.previousStatus = previousStatus;
        this.reason = reason;
    }

    /** @return the status now */
    public IotHubConnectionStatus getNewStatus() {
        return newStatus;
    }

    /** @return the status before this change */
    public IotHubConnectionStatus getPreviousStatus() {
        return previousStatus;
    }

    /** @return why the status changed */
    public IotHubConnectionStatusChangeReason getNewStatusReason() {
        return reason;
    }

    @Override
    public String toString() {
        return previousStatus + " -> " + newStatus + " (" + reason + ")";
    }
}

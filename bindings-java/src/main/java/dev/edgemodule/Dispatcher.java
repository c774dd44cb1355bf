package dev.edgemodule;

import java.lang.System.Logger.Level;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The callbacks of one client, by registration, called by the native library. It only
 * translates: a callback's outcome goes back to the core, which decides what follows
 * (acknowledgement, retries, the method failure reply; docs/delivery.md). The native side
 * holds only a weak reference to this object, so a client that is no longer reachable (and
 * with it its callbacks) can be collected and closed by its {@link java.lang.ref.Cleaner}.
 *
 * <p>Message, method, desired and topic callbacks run on their registration's own thread;
 * status and background-error callbacks on the client's callback thread. A callback removed
 * from the core stays here until replaced: the core lets a removed handler finish the item
 * it is already handling.
 */
final class Dispatcher {
    private static final System.Logger LOG = Logging.LOG;

    final Map<String, MessageCallback> inputs = new ConcurrentHashMap<>();
    volatile MessageCallback defaultInput;
    final Map<String, MethodCallback> methods = new ConcurrentHashMap<>();
    volatile MethodCallback defaultMethod;
    volatile DesiredPropertiesCallback desired;
    volatile IotHubConnectionStatusChangeCallback status;
    volatile IotHubConnectionStatus lastStatus = IotHubConnectionStatus.DISCONNECTED;
    volatile BackgroundErrorCallback backgroundErrors;
    final Map<Long, TopicCallback> topics = new ConcurrentHashMap<>();

    /** The client's callback thread, once it ran something. */
    private volatile Thread callbackThread;
    private final String name;

    Dispatcher(String name) {
        this.name = name;
    }

    /** True on this client's callback thread (where blocking on its futures would deadlock). */
    boolean onCallbackThread() {
        return Thread.currentThread() == callbackThread;
    }

    /** Records the client's callback thread (status, background errors, completions). */
    void enter() {
        if (callbackThread != Thread.currentThread()) {
            callbackThread = Thread.currentThread();
        }
    }

    /** Why a callback failed, for the core (which logs it and reports it when it gives up). */
    private String failure(String what, Throwable t) {
        LOG.log(Level.DEBUG, name + ": " + what + " threw", t);
        return what + " threw " + t;
    }

    /**
     * {@code COMPLETE} and {@code REJECT} settle the message (MQTT has no negative
     * acknowledgement); {@code ABANDON}, null and an exception are failures.
     */
    String onInput(String input, byte[] body, String[] system, String[] properties) {
        MessageCallback callback = input == null ? defaultInput : inputs.get(input);
        String what = input == null ? "the default message callback" : "the message callback of input " + input;
        if (callback == null) {
            return what + " is not registered";
        }
        try {
            IotHubMessageResult result = callback.onMessageReceived(Message.fromNative(body, system, properties));
            if (result == null) {
                return what + " returned null";
            }
            return result == IotHubMessageResult.ABANDON ? what + " returned ABANDON" : null;
        } catch (Throwable t) {
            return failure(what, t);
        }
    }

    /** {@code {status, json}}, or {@code {why}} when the handler threw or returned null. */
    String[] onMethod(String slot, String methodName, String payload) {
        MethodCallback callback = slot == null ? defaultMethod : methods.get(slot);
        String what = "the handler of method " + methodName;
        if (callback == null) {
            return new String[] {what + " is not registered"};
        }
        try {
            DirectMethodResponse response = callback.onMethodInvoked(methodName, new DirectMethodPayload(payload));
            if (response == null) {
                return new String[] {what + " returned null"};
            }
            return new String[] {Integer.toString(response.getStatus()), response.getPayloadAsJsonString()};
        } catch (Throwable t) {
            return new String[] {failure(what, t)};
        }
    }

    String onDesired(String patch, long version) {
        DesiredPropertiesCallback callback = desired;
        String what = "the desired-properties callback";
        if (callback == null) {
            return what + " is not registered";
        }
        try {
            callback.onDesiredPropertiesUpdated(TwinCollection.fromJson(patch).withVersion(version));
            return null;
        } catch (Throwable t) {
            return failure(what, t);
        }
    }

    String onTopic(long id, String topic, byte[] payload) {
        TopicCallback callback = topics.get(id);
        String what = "the callback of topic " + topic;
        if (callback == null) {
            return what + " is not registered";
        }
        try {
            callback.onMessage(topic, payload);
            return null;
        } catch (Throwable t) {
            return failure(what, t);
        }
    }

    void onStatus(int state, int reason) {
        enter();
        IotHubConnectionStatus next = IotHubConnectionStatus.fromCode(state);
        IotHubConnectionStatus previous = lastStatus;
        lastStatus = next;
        IotHubConnectionStatusChangeCallback callback = status;
        if (callback == null) {
            return;
        }
        try {
            callback.onStatusChanged(new ConnectionStatusChangeContext(
                    next, previous, IotHubConnectionStatusChangeReason.fromCode(reason)));
        } catch (Throwable t) {
            LOG.log(Level.WARNING, name + ": the connection status callback threw", t);
        }
    }

    void onBackgroundError(String kind, String family, String errorName, String message) {
        enter();
        BackgroundErrorCallback callback = backgroundErrors;
        if (callback == null) {
            return;
        }
        try {
            callback.onBackgroundError(BackgroundError.fromNative(kind, family, errorName, message));
        } catch (Throwable t) {
            LOG.log(Level.WARNING, name + ": the background error callback threw", t);
        }
    }
}

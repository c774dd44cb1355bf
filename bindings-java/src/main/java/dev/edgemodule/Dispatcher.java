package dev.edgemodule;

import java.lang.System.Logger.Level;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The callbacks of one client, called by the native library on the client's callback
 * thread. The native side holds only a weak reference to this object, so a client that is
 * no longer reachable (and with it its callbacks) can be collected and closed by its
 * {@link java.lang.ref.Cleaner}.
 */
final class Dispatcher {
    private static final System.Logger LOG = NativeCallbacks.LOG;

    final Map<String, MessageCallback> inputs = new ConcurrentHashMap<>();
    volatile MessageCallback defaultInput;
    final Map<String, MethodCallback> methods = new ConcurrentHashMap<>();
    volatile MethodCallback defaultMethod;
    volatile DesiredPropertiesCallback desired;
    volatile IotHubConnectionStatusChangeCallback status;
    volatile IotHubConnectionStatus lastStatus = IotHubConnectionStatus.DISCONNECTED;
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

    void enter() {
        if (callbackThread != Thread.currentThread()) {
            callbackThread = Thread.currentThread();
        }
    }

    int onInput(String input, byte[] body, String[] system, String[] properties) {
        enter();
        MessageCallback callback = input == null ? defaultInput : inputs.get(input);
        if (callback == null) {
            return IotHubMessageResult.ABANDON.ordinal();
        }
        Message message = Message.fromNative(body, system, properties);
        try {
            IotHubMessageResult result = callback.onMessageReceived(message);
            if (result == null) {
                LOG.log(Level.WARNING, "{0}: the message callback of input {1} returned null; "
                        + "the message will be delivered again", name, message.getInputName());
                return IotHubMessageResult.ABANDON.ordinal();
            }
            return result.ordinal();
        } catch (Throwable t) {
            LOG.log(Level.WARNING, name + ": the message callback of input " + message.getInputName()
                    + " threw; the message will be delivered again", t);
            return IotHubMessageResult.ABANDON.ordinal();
        }
    }

    String[] onMethod(String slot, String methodName, String payload) {
        enter();
        MethodCallback callback = slot == null ? defaultMethod : methods.get(slot);
        if (callback == null) {
            return answer(501, message("no handler for method " + methodName));
        }
        try {
            DirectMethodResponse response = callback.onMethodInvoked(methodName, new DirectMethodPayload(payload));
            if (response == null) {
                return answer(500, message("the handler of method " + methodName + " returned no response"));
            }
            return answer(response.getStatus(), response.getPayloadAsJsonString());
        } catch (Throwable t) {
            LOG.log(Level.WARNING, name + ": the handler of method " + methodName + " threw; answering 500", t);
            return answer(500, message("the handler of method " + methodName + " failed: " + t));
        }
    }

    private static String[] answer(int status, String json) {
        return new String[] {Integer.toString(status), json};
    }

    private static String message(String text) {
        return Json.write(Map.of("message", text));
    }

    void onDesired(String patch, long version) {
        enter();
        DesiredPropertiesCallback callback = desired;
        if (callback == null) {
            return;
        }
        try {
            TwinCollection collection = TwinCollection.fromJson(patch);
            callback.onDesiredPropertiesUpdated(collection.withVersion(version));
        } catch (Throwable t) {
            LOG.log(Level.WARNING, name + ": the desired-properties callback threw", t);
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

    void onTopic(long id, String topic, byte[] payload) {
        enter();
        TopicCallback callback = topics.get(id);
        if (callback == null) {
            return;
        }
        try {
            callback.onMessage(topic, payload);
        } catch (Throwable t) {
            LOG.log(Level.WARNING, name + ": the callback of topic " + topic + " threw", t);
        }
    }
}

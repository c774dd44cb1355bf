package dev.edgemodule;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A message sent to an output or received on an input: a body, application (custom)
 * properties and system properties.
 *
 * <p>The limit of 256 KiB (body plus every property key and value) is checked before
 * anything is sent ({@link MessageTooLargeException}). The received-only properties (input
 * name, connection device and module id, ...) are filled on messages given to a
 * {@link MessageCallback} and ignored when sending. Not thread-safe: don't change a message
 * while it is being sent.
 */
public final class Message {
    // Positions in the system-property array exchanged with the native library.
    static final int MESSAGE_ID = 0;
    static final int CORRELATION_ID = 1;
    static final int USER_ID = 2;
    static final int CONTENT_TYPE = 3;
    static final int CONTENT_ENCODING = 4;
    static final int CREATION_TIME = 5;
    static final int EXPIRY_TIME = 6;
    static final int MESSAGE_SCHEMA = 7;
    static final int COMPONENT_NAME = 8;
    static final int INTERFACE_ID = 9;
    static final int TO = 10;
    static final int ACK = 11;
    static final int OPERATION = 12;
    static final int INPUT_NAME = 13;
    static final int OUTPUT_NAME = 14;
    static final int CONNECTION_DEVICE_ID = 15;
    static final int CONNECTION_MODULE_ID = 16;
    static final int SYSTEM_COUNT = 17;

    private byte[] body;
    private final Map<String, String> properties = new TreeMap<>();
    private final String[] system = new String[SYSTEM_COUNT];

    /** An empty message. */
    public Message() {
        this(new byte[0]);
    }

    /**
     * A message with {@code body} (copied).
     *
     * @param body the payload
     */
    public Message(byte[] body) {
        this.body = Objects.requireNonNull(body, "body").clone();
    }

    /**
     * A message whose body is {@code body} in UTF-8.
     *
     * @param body the payload text
     */
    public Message(String body) {
        this.body = Objects.requireNonNull(body, "body").getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The body (a copy).
     *
     * @return the payload bytes
     */
    public byte[] getBytes() {
        return body.clone();
    }

    /**
     * The body decoded as UTF-8.
     *
     * @return the payload text
     */
    public String getBodyAsString() {
        return new String(body, StandardCharsets.UTF_8);
    }

    /**
     * Replaces the body (copied).
     *
     * @param body the payload
     * @return this message
     */
    public Message setBody(byte[] body) {
        this.body = Objects.requireNonNull(body, "body").clone();
        return this;
    }

    /**
     * Sets an application property (routes can query it).
     *
     * @param name the property name (not empty)
     * @param value the value
     * @return this message
     */
    public Message setProperty(String name, String value) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
        if (name.isEmpty()) {
            throw new InvalidArgumentException("a message property needs a name");
        }
        properties.put(name, value);
        return this;
    }

    /**
     * An application property.
     *
     * @param name the property name
     * @return its value, or null when the message has no such property
     */
    public String getProperty(String name) {
        return properties.get(name);
    }

    /**
     * Removes an application property.
     *
     * @param name the property name
     * @return the value it had, or null
     */
    public String removeProperty(String name) {
        return properties.remove(name);
    }

    /**
     * Every application property, sorted by name (a read-only view).
     *
     * @return the properties
     */
    public Map<String, String> getProperties() {
        return Collections.unmodifiableMap(properties);
    }

    /** @return the message id ({@code $.mid}), or null */
    public String getMessageId() {
        return system[MESSAGE_ID];
    }

    /**
     * @param messageId the message id ({@code $.mid}); null clears it
     * @return this message
     */
    public Message setMessageId(String messageId) {
        return set(MESSAGE_ID, messageId);
    }

    /** @return the correlation id ({@code $.cid}), or null */
    public String getCorrelationId() {
        return system[CORRELATION_ID];
    }

    /**
     * @param correlationId the correlation id ({@code $.cid}); null clears it
     * @return this message
     */
    public Message setCorrelationId(String correlationId) {
        return set(CORRELATION_ID, correlationId);
    }

    /** @return the user id ({@code $.uid}), or null */
    public String getUserId() {
        return system[USER_ID];
    }

    /**
     * @param userId the user id ({@code $.uid}); null clears it
     * @return this message
     */
    public Message setUserId(String userId) {
        return set(USER_ID, userId);
    }

    /** @return the content type ({@code $.ct}), or null */
    public String getContentType() {
        return system[CONTENT_TYPE];
    }

    /**
     * Sets the content type; {@code application/json} (with encoding {@code utf-8}) lets routes
     * query {@code $body}.
     *
     * @param contentType the content type ({@code $.ct}); null clears it
     * @return this message
     */
    public Message setContentType(String contentType) {
        return set(CONTENT_TYPE, contentType);
    }

    /** @return the content encoding ({@code $.ce}), or null */
    public String getContentEncoding() {
        return system[CONTENT_ENCODING];
    }

    /**
     * @param contentEncoding the content encoding ({@code $.ce}), e.g. {@code utf-8}
     * @return this message
     */
    public Message setContentEncoding(String contentEncoding) {
        return set(CONTENT_ENCODING, contentEncoding);
    }

    /** @return the creation time ({@code $.ctime}, ISO 8601 UTC text), or null */
    public String getCreationTimeUtc() {
        return system[CREATION_TIME];
    }

    /**
     * @param creationTime the creation time ({@code $.ctime}) as ISO 8601 UTC text
     * @return this message
     */
    public Message setCreationTimeUtc(String creationTime) {
        return set(CREATION_TIME, creationTime);
    }

    /**
     * @param creationTime the creation time ({@code $.ctime})
     * @return this message
     */
    public Message setCreationTimeUtc(Instant creationTime) {
        return set(CREATION_TIME, creationTime == null ? null : creationTime.toString());
    }

    /** @return the absolute expiry time ({@code $.exp}, ISO 8601 UTC text), or null */
    public String getExpiryTimeUtc() {
        return system[EXPIRY_TIME];
    }

    /**
     * @param expiryTime the absolute expiry time ({@code $.exp}) as ISO 8601 UTC text
     * @return this message
     */
    public Message setExpiryTimeUtc(String expiryTime) {
        return set(EXPIRY_TIME, expiryTime);
    }

    /**
     * @param expiryTime the absolute expiry time ({@code $.exp})
     * @return this message
     */
    public Message setExpiryTimeUtc(Instant expiryTime) {
        return set(EXPIRY_TIME, expiryTime == null ? null : expiryTime.toString());
    }

    /** @return the message schema ({@code $.schema}), or null */
    public String getMessageSchema() {
        return system[MESSAGE_SCHEMA];
    }

    /**
     * @param schema the message schema ({@code $.schema})
     * @return this message
     */
    public Message setMessageSchema(String schema) {
        return set(MESSAGE_SCHEMA, schema);
    }

    /** @return the Plug and Play component name ({@code $.sub}), or null */
    public String getComponentName() {
        return system[COMPONENT_NAME];
    }

    /**
     * @param componentName the Plug and Play component name ({@code $.sub})
     * @return this message
     */
    public Message setComponentName(String componentName) {
        return set(COMPONENT_NAME, componentName);
    }

    /** @return the interface id ({@code $.ifid}), or null */
    public String getInterfaceId() {
        return system[INTERFACE_ID];
    }

    /**
     * @param interfaceId the interface id ({@code $.ifid})
     * @return this message
     */
    public Message setInterfaceId(String interfaceId) {
        return set(INTERFACE_ID, interfaceId);
    }

    /** @return the destination ({@code $.to}; received messages only), or null */
    public String getTo() {
        return system[TO];
    }

    /** @return the feedback request ({@code ack}; received messages only), or null */
    public String getAck() {
        return system[ACK];
    }

    /** @return the {@code iothub-operation} property (received messages only), or null */
    public String getOperation() {
        return system[OPERATION];
    }

    /** @return the input the message arrived on (received messages only), or null */
    public String getInputName() {
        return system[INPUT_NAME];
    }

    /** @return the output the sender used ({@code $.on}; received messages), or null */
    public String getOutputName() {
        return system[OUTPUT_NAME];
    }

    /** @return the device that sent the message ({@code $.cdid}; received only), or null */
    public String getConnectionDeviceId() {
        return system[CONNECTION_DEVICE_ID];
    }

    /** @return the module that sent the message ({@code $.cmid}; received only), or null */
    public String getConnectionModuleId() {
        return system[CONNECTION_MODULE_ID];
    }

    private Message set(int index, String value) {
        system[index] = value;
        return this;
    }

    // ---- exchange with the native library ----

    byte[] body() {
        return body;
    }

    /**
     * The system properties by slot, or null when none is set (most sends): the native side
     * then reads no array, which saves a JNI call per slot.
     */
    String[] systemArray() {
        for (String value : system) {
            if (value != null) {
                return system.clone();
            }
        }
        return null;
    }

    /** Application properties as {@code [name0, value0, name1, value1, ...]}, or null when there are none. */
    String[] propertyArray() {
        if (properties.isEmpty()) {
            return null;
        }
        String[] out = new String[properties.size() * 2];
        int i = 0;
        for (Map.Entry<String, String> e : properties.entrySet()) {
            out[i++] = e.getKey();
            out[i++] = e.getValue();
        }
        return out;
    }

    /** A received message, from the native library's arrays. */
    static Message fromNative(byte[] body, String[] system, String[] properties) {
        Message m = new Message();
        m.body = body == null ? new byte[0] : body;
        if (system != null) {
            System.arraycopy(system, 0, m.system, 0, Math.min(system.length, SYSTEM_COUNT));
        }
        if (properties != null) {
            for (int i = 0; i + 1 < properties.length; i += 2) {
                m.properties.put(properties[i], properties[i + 1] == null ? "" : properties[i + 1]);
            }
        }
        return m;
    }

    @Override
    public String toString() {
        return "Message{bytes=" + body.length
                + (getMessageId() != null ? ", messageId=" + getMessageId() : "")
                + (getInputName() != null ? ", input=" + getInputName() : "")
                + ", properties=" + properties + "}";
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Message)) {
            return false;
        }
        Message other = (Message) o;
        return Arrays.equals(body, other.body)
                && properties.equals(other.properties)
                && Arrays.equals(system, other.system);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(body) * 31 + properties.hashCode();
    }
}

package dev.edgemodule;

import java.util.Locale;

/**
 * Something that went wrong in the background, with no operation to report it to (given to
 * a {@link BackgroundErrorCallback}): a handler that failed for good, a message or method
 * call nothing handles, or a handler slower than edgeHub waits for an acknowledgement. The
 * core reports these for every language alike (docs/delivery.md); they are also logged to
 * the {@code System.Logger} named {@code dev.edgemodule}.
 */
public final class BackgroundError {
    /** What went wrong. */
    public enum Kind {
        /**
         * A message, patch or topic callback failed (threw, returned {@code ABANDON} or null) on
         * every attempt: the message was acknowledged and dropped. Or a method handler failed:
         * the caller got status 500 and {@code {"error":"HANDLER_FAILED",...}}.
         */
        HANDLER_FAILED,
        /**
         * Nothing handles the input or method: the message was acknowledged and dropped, or the
         * caller got status 501.
         */
        NO_HANDLER,
        /**
         * A callback has been running longer than edgeHub waits for an acknowledgement (30 s):
         * edgeHub will send the message again. The callback is still running.
         */
        SLOW_HANDLER
    }

    /** Which kind of callback it concerns. */
    public enum Family {
        /** A message callback ({@link #getName()} is the input). */
        INPUT,
        /** A method handler ({@link #getName()} is the method). */
        METHOD,
        /** The desired-properties callback ({@link #getName()} is empty). */
        DESIRED,
        /** A user-topic subscription ({@link #getName()} is the topic). */
        TOPIC
    }

    private final Kind kind;
    private final Family family;
    private final String name;
    private final String message;

    BackgroundError(Kind kind, Family family, String name, String message) {
        this.kind = kind;
        this.family = family;
        this.name = name;
        this.message = message;
    }

    /** The error from the core's names ({@code HANDLER_FAILED}, {@code input}, ...). */
    static BackgroundError fromNative(String kind, String family, String name, String message) {
        return new BackgroundError(Kind.valueOf(kind), Family.valueOf(family.toUpperCase(Locale.ROOT)), name,
                message);
    }

    /** @return what went wrong */
    public Kind getKind() {
        return kind;
    }

    /** @return which kind of callback it concerns */
    public Family getFamily() {
        return family;
    }

    /** @return the input, method or topic name (empty for desired properties) */
    public String getName() {
        return name;
    }

    /** @return what happened, including the callback's own failure when there was one */
    public String getMessage() {
        return message;
    }

    @Override
    public String toString() {
        return kind + " (" + family.name().toLowerCase(Locale.ROOT) + " \"" + name + "\"): " + message;
    }
}

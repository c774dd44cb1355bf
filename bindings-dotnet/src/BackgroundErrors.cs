using System;

namespace EdgeModule
{
    /// <summary>What went wrong in the background (the core's <c>BackgroundErrorKind</c>; the numbers are the C ABI's).</summary>
    public enum BackgroundErrorKind
    {
        /// <summary>
        /// <c>HANDLER_FAILED</c>: an input, desired or topic handler failed on every attempt
        /// (the item was acknowledged and dropped), or a method handler failed (the caller got
        /// the failure reply).
        /// </summary>
        HandlerFailed = 1,
        /// <summary>
        /// <c>NO_HANDLER</c>: nothing handles this input (the message was acknowledged and
        /// dropped) or method (the caller got 501).
        /// </summary>
        NoHandler = 2,
        /// <summary>
        /// <c>SLOW_HANDLER</c>: a handler has run longer than edgeHub waits for an
        /// acknowledgement (30 s); it goes on, and edgeHub will send the message again.
        /// </summary>
        SlowHandler = 3,
    }

    /// <summary>Which kind of handler a background error concerns (the core's <c>HandlerFamily</c>; the numbers are the C ABI's).</summary>
    public enum HandlerFamily
    {
        /// <summary><c>input</c>: an input message handler (the name is the input).</summary>
        Input = 1,
        /// <summary><c>method</c>: a direct-method handler (the name is the method).</summary>
        Method = 2,
        /// <summary><c>desired</c>: the desired-properties handler (the name is empty).</summary>
        Desired = 3,
        /// <summary><c>topic</c>: a user-topic subscription handler (the name is the topic).</summary>
        Topic = 4,
    }

    /// <summary>
    /// An error with no operation to return it to, reported by the core: raised by
    /// <see cref="ModuleClient.BackgroundError"/>.
    /// </summary>
    public sealed class BackgroundErrorEventArgs : EventArgs
    {
        internal BackgroundErrorEventArgs(BackgroundErrorKind kind, string kindName, HandlerFamily family,
            string familyName, string name, string message)
        {
            Kind = kind;
            KindName = kindName;
            Family = family;
            FamilyName = familyName;
            Name = name;
            Message = message;
        }

        /// <summary>What went wrong.</summary>
        public BackgroundErrorKind Kind { get; private set; }

        /// <summary>The kind as every language spells it, e.g. <c>"HANDLER_FAILED"</c>.</summary>
        public string KindName { get; private set; }

        /// <summary>Which kind of handler.</summary>
        public HandlerFamily Family { get; private set; }

        /// <summary>The family as every language spells it, e.g. <c>"input"</c>.</summary>
        public string FamilyName { get; private set; }

        /// <summary>The input, method or topic (empty for the desired-properties handler).</summary>
        public string Name { get; private set; }

        /// <summary>What happened, with the handler's own error message when it failed.</summary>
        public string Message { get; private set; }

        /// <summary>"KIND family 'name': message".</summary>
        public override string ToString()
        {
            return KindName + " " + FamilyName + (Name.Length > 0 ? " '" + Name + "'" : "") + ": " + Message;
        }
    }
}

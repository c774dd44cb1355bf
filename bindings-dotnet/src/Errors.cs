using System;
using EdgeModule.Native;

namespace EdgeModule
{
    /// <summary>The stable error codes of edgemodule (the same numbers in every language).</summary>
    public enum ErrorCode
    {
        /// <summary>Success (never carried by an exception).</summary>
        Ok = 0,
        /// <summary>An argument was null, not UTF-8, out of range or otherwise unacceptable.</summary>
        InvalidArgument = 1,
        /// <summary>The environment, connection string, key or options are missing or malformed.</summary>
        Config = 2,
        /// <summary>The hub refused the credentials.</summary>
        Unauthorized = 3,
        /// <summary>The network or TLS layer failed.</summary>
        Connection = 4,
        /// <summary>The operation did not complete within its timeout.</summary>
        Timeout = 5,
        /// <summary>The client (or the library, after shutdown) is closed.</summary>
        Closed = 6,
        /// <summary>A message exceeds 256 KiB (body + properties); nothing was sent.</summary>
        MessageTooLarge = 7,
        /// <summary>The hub sent something that does not follow the protocol.</summary>
        Protocol = 8,
        /// <summary>The hub answered with an error status.</summary>
        Service = 9,
        /// <summary>The operation was cancelled by edgemodule.</summary>
        Cancelled = 10,
        /// <summary>The target (module, method, property) does not exist or is not connected.</summary>
        NotFound = 11,
        /// <summary>The hub asked the client to slow down.</summary>
        Throttled = 12,
        /// <summary>A bug in edgemodule (including a caught panic); please report it.</summary>
        Internal = 13,
    }

    /// <summary>
    /// Base class of every error edgemodule reports. <see cref="Code"/> is the stable code;
    /// each code has its own subclass so callers can catch just the ones they handle.
    /// </summary>
    public class EdgeModuleException : Exception
    {
        /// <summary>Creates an exception with a code and a message.</summary>
        public EdgeModuleException(ErrorCode code, string message)
            : base(message)
        {
            Code = code;
        }

        /// <summary>Creates an exception with a code, a message and the exception that caused it.</summary>
        public EdgeModuleException(ErrorCode code, string message, Exception inner)
            : base(message, inner)
        {
            Code = code;
        }

        /// <summary>The stable error code.</summary>
        public ErrorCode Code { get; private set; }

        /// <summary>The code's name as every binding spells it (<c>"TIMEOUT"</c>, …).</summary>
        public string CodeName { get { return NameOf(Code); } }

        /// <summary>True when retrying the same operation later may succeed (connection, timeout, throttling).</summary>
        public bool IsTransient
        {
            get { return Code == ErrorCode.Connection || Code == ErrorCode.Timeout || Code == ErrorCode.Throttled; }
        }

        /// <summary>The upper-case name of a code (<c>"UNKNOWN"</c> for numbers that are not codes).</summary>
        public static string NameOf(ErrorCode code)
        {
            switch (code)
            {
                case ErrorCode.Ok: return "OK";
                case ErrorCode.InvalidArgument: return "INVALID_ARGUMENT";
                case ErrorCode.Config: return "CONFIG";
                case ErrorCode.Unauthorized: return "UNAUTHORIZED";
                case ErrorCode.Connection: return "CONNECTION";
                case ErrorCode.Timeout: return "TIMEOUT";
                case ErrorCode.Closed: return "CLOSED";
                case ErrorCode.MessageTooLarge: return "MESSAGE_TOO_LARGE";
                case ErrorCode.Protocol: return "PROTOCOL";
                case ErrorCode.Service: return "SERVICE";
                case ErrorCode.Cancelled: return "CANCELLED";
                case ErrorCode.NotFound: return "NOT_FOUND";
                case ErrorCode.Throttled: return "THROTTLED";
                case ErrorCode.Internal: return "INTERNAL";
                default: return "UNKNOWN";
            }
        }

        /// <summary>The exception for a native result code (an unknown code counts as <see cref="ErrorCode.Internal"/>).</summary>
        public static EdgeModuleException FromCode(int code, string message)
        {
            string text = string.IsNullOrEmpty(message) ? NameOf((ErrorCode)code) : message;
            switch ((ErrorCode)code)
            {
                case ErrorCode.InvalidArgument: return new InvalidArgumentException(text);
                case ErrorCode.Config: return new ConfigurationException(text);
                case ErrorCode.Unauthorized: return new UnauthorizedException(text);
                case ErrorCode.Connection: return new ConnectionException(text);
                case ErrorCode.Timeout: return new EdgeTimeoutException(text);
                case ErrorCode.Closed: return new ClientClosedException(text);
                case ErrorCode.MessageTooLarge: return new MessageTooLargeException(text);
                case ErrorCode.Protocol: return new ProtocolException(text);
                case ErrorCode.Service: return new ServiceException(text);
                case ErrorCode.Cancelled: return new CancelledException(text);
                case ErrorCode.NotFound: return new NotFoundException(text);
                case ErrorCode.Throttled: return new ThrottledException(text);
                default: return new InternalErrorException(code == 13 ? text : "unknown result code " + code + ": " + text);
            }
        }

        /// <summary>The exception for the calling thread's last failed native call.</summary>
        internal static EdgeModuleException Last(int code)
        {
            return FromCode(code, LastErrorMessage());
        }

        /// <summary>The calling thread's last native error message.</summary>
        internal static string LastErrorMessage()
        {
            ulong len = NativeMethods.edgemodule_last_error_message(null, UIntPtr.Zero).ToUInt64();
            if (len == 0)
            {
                return "";
            }
            var buf = new byte[len + 1];
            ulong got = NativeMethods.edgemodule_last_error_message(buf, new UIntPtr((ulong)buf.Length)).ToUInt64();
            int n = (int)Math.Min(got, len);
            while (n > 0 && buf[n - 1] == 0)
            {
                n--;
            }
            return System.Text.Encoding.UTF8.GetString(buf, 0, n);
        }

        /// <summary>Throws the exception for <paramref name="code"/> unless it is OK.</summary>
        internal static void Check(int code)
        {
            if (code != NativeMethods.OK)
            {
                throw Last(code);
            }
        }
    }

    /// <summary>INVALID_ARGUMENT (1): a value the API cannot accept.</summary>
    public class InvalidArgumentException : EdgeModuleException
    {
        /// <summary>Creates the exception.</summary>
        public InvalidArgumentException(string message) : base(ErrorCode.InvalidArgument, message) { }
    }

    /// <summary>CONFIG (2): the environment, connection string, key or options are missing or malformed.</summary>
    public class ConfigurationException : EdgeModuleException
    {
        /// <summary>Creates the exception.</summary>
        public ConfigurationException(string message) : base(ErrorCode.Config, message) { }
    }

    /// <summary>UNAUTHORIZED (3): the hub refused the credentials (or a topic by its policy).</summary>
    public class UnauthorizedException : EdgeModuleException
    {
        /// <summary>Creates the exception.</summary>
        public UnauthorizedException(string message) : base(ErrorCode.Unauthorized, message) { }
    }

    /// <summary>CONNECTION (4): the network or TLS layer failed.</summary>
    public class ConnectionException : EdgeModuleException
    {
        /// <summary>Creates the exception.</summary>
        public ConnectionException(string message) : base(ErrorCode.Connection, message) { }
    }

    /// <summary>TIMEOUT (5): the operation did not complete within its timeout.</summary>
    public class EdgeTimeoutException : EdgeModuleException
    {
        /// <summary>Creates the exception.</summary>
        public EdgeTimeoutException(string message) : base(ErrorCode.Timeout, message) { }
    }

    /// <summary>CLOSED (6): the client was closed before or while the operation ran.</summary>
    public class ClientClosedException : EdgeModuleException
    {
        /// <summary>Creates the exception.</summary>
        public ClientClosedException(string message) : base(ErrorCode.Closed, message) { }
    }

    /// <summary>MESSAGE_TOO_LARGE (7): a message exceeds 256 KiB; nothing was sent.</summary>
    public class MessageTooLargeException : EdgeModuleException
    {
        /// <summary>Creates the exception.</summary>
        public MessageTooLargeException(string message) : base(ErrorCode.MessageTooLarge, message) { }
    }

    /// <summary>PROTOCOL (8): the hub sent something that does not follow the protocol.</summary>
    public class ProtocolException : EdgeModuleException
    {
        /// <summary>Creates the exception.</summary>
        public ProtocolException(string message) : base(ErrorCode.Protocol, message) { }
    }

    /// <summary>SERVICE (9): the hub answered with an error status.</summary>
    public class ServiceException : EdgeModuleException
    {
        /// <summary>Creates the exception.</summary>
        public ServiceException(string message) : base(ErrorCode.Service, message) { }
    }

    /// <summary>CANCELLED (10): edgemodule cancelled the operation.</summary>
    public class CancelledException : EdgeModuleException
    {
        /// <summary>Creates the exception.</summary>
        public CancelledException(string message) : base(ErrorCode.Cancelled, message) { }
    }

    /// <summary>NOT_FOUND (11): the target does not exist or is not connected.</summary>
    public class NotFoundException : EdgeModuleException
    {
        /// <summary>Creates the exception.</summary>
        public NotFoundException(string message) : base(ErrorCode.NotFound, message) { }
    }

    /// <summary>THROTTLED (12): the hub asked the client to slow down.</summary>
    public class ThrottledException : EdgeModuleException
    {
        /// <summary>Creates the exception.</summary>
        public ThrottledException(string message) : base(ErrorCode.Throttled, message) { }
    }

    /// <summary>INTERNAL (13): a bug in edgemodule; please report it.</summary>
    public class InternalErrorException : EdgeModuleException
    {
        /// <summary>Creates the exception.</summary>
        public InternalErrorException(string message) : base(ErrorCode.Internal, message) { }
    }
}

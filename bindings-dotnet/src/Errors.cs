using System;
using EdgeModule.Native;

namespace EdgeModule
{
    /// <summary>
    /// The stable error codes of edgemodule (the same numbers in every language). Names,
    /// descriptions and transience come from the core's table at run time:
    /// <see cref="EdgeModuleException.NameOf"/>, <see cref="EdgeModuleException.DescriptionOf"/>,
    /// <see cref="EdgeModuleException.IsTransientCode"/>.
    /// </summary>
    public enum ErrorCode
    {
        /// <summary><c>OK</c> (see <see cref="EdgeModuleException.DescriptionOf"/>).</summary>
        Ok = 0,
        /// <summary><c>INVALID_ARGUMENT</c> (see <see cref="EdgeModuleException.DescriptionOf"/>).</summary>
        InvalidArgument = 1,
        /// <summary><c>CONFIG</c> (see <see cref="EdgeModuleException.DescriptionOf"/>).</summary>
        Config = 2,
        /// <summary><c>UNAUTHORIZED</c> (see <see cref="EdgeModuleException.DescriptionOf"/>).</summary>
        Unauthorized = 3,
        /// <summary><c>CONNECTION</c> (see <see cref="EdgeModuleException.DescriptionOf"/>).</summary>
        Connection = 4,
        /// <summary><c>TIMEOUT</c> (see <see cref="EdgeModuleException.DescriptionOf"/>).</summary>
        Timeout = 5,
        /// <summary><c>CLOSED</c> (see <see cref="EdgeModuleException.DescriptionOf"/>).</summary>
        Closed = 6,
        /// <summary><c>MESSAGE_TOO_LARGE</c> (see <see cref="EdgeModuleException.DescriptionOf"/>).</summary>
        MessageTooLarge = 7,
        /// <summary><c>PROTOCOL</c> (see <see cref="EdgeModuleException.DescriptionOf"/>).</summary>
        Protocol = 8,
        /// <summary><c>SERVICE</c> (see <see cref="EdgeModuleException.DescriptionOf"/>).</summary>
        Service = 9,
        /// <summary><c>CANCELLED</c> (see <see cref="EdgeModuleException.DescriptionOf"/>).</summary>
        Cancelled = 10,
        /// <summary><c>NOT_FOUND</c> (see <see cref="EdgeModuleException.DescriptionOf"/>).</summary>
        NotFound = 11,
        /// <summary><c>THROTTLED</c> (see <see cref="EdgeModuleException.DescriptionOf"/>).</summary>
        Throttled = 12,
        /// <summary><c>INTERNAL</c> (see <see cref="EdgeModuleException.DescriptionOf"/>).</summary>
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

        /// <summary>True when retrying the same operation later may succeed without changing anything (the core's table).</summary>
        public bool IsTransient
        {
            get { return IsTransientCode(Code); }
        }

        /// <summary>The code's description, one sentence from the core's table.</summary>
        public string Description { get { return DescriptionOf(Code); } }

        /// <summary>The upper-case name of a code, from the core's table (<c>"UNKNOWN"</c> for numbers that are not codes).</summary>
        public static string NameOf(ErrorCode code)
        {
            return Utf8.FromNulTerminated(NativeMethods.edgemodule_error_name((int)code)) ?? "UNKNOWN";
        }

        /// <summary>A code's description from the core's table (null for numbers that are not codes).</summary>
        public static string DescriptionOf(ErrorCode code)
        {
            return Utf8.FromNulTerminated(NativeMethods.edgemodule_error_description((int)code));
        }

        /// <summary>Whether the core's table calls a code transient (false for numbers that are not codes).</summary>
        public static bool IsTransientCode(ErrorCode code)
        {
            return NativeMethods.edgemodule_error_is_transient((int)code) != 0;
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

// UTF-8 conversions for the (pointer, length) strings of the C ABI.
using System;
using System.Runtime.InteropServices;
using System.Text;

namespace EdgeModule.Native
{
    internal static class Utf8
    {
        private static readonly UTF8Encoding Strict = new UTF8Encoding(false, true);

        /// <summary>UTF-8 bytes of <paramref name="text"/> (null stays null).</summary>
        internal static byte[] Bytes(string text)
        {
            return text == null ? null : Strict.GetBytes(text);
        }

        /// <summary>UTF-8 bytes of a message that must get through (a lone surrogate becomes U+FFFD; null stays null).</summary>
        internal static byte[] BytesLossy(string text)
        {
            return text == null ? null : Encoding.UTF8.GetBytes(text);
        }

        /// <summary>The length argument for a byte array (0 for null).</summary>
        internal static UIntPtr Len(byte[] bytes)
        {
            return new UIntPtr(bytes == null ? 0u : (uint)bytes.Length);
        }

        /// <summary>Copies <paramref name="len"/> bytes at <paramref name="ptr"/> (empty for NULL).</summary>
        internal static byte[] Copy(IntPtr ptr, UIntPtr len)
        {
            int n = checked((int)len.ToUInt64());
            var bytes = new byte[n];
            if (n > 0 && ptr != IntPtr.Zero)
            {
                Marshal.Copy(ptr, bytes, 0, n);
            }
            return bytes;
        }

        /// <summary>A borrowed (pointer, length) string as a managed string (null for NULL).</summary>
        internal static string String(IntPtr ptr, UIntPtr len)
        {
            if (ptr == IntPtr.Zero)
            {
                return null;
            }
            return Encoding.UTF8.GetString(Copy(ptr, len));
        }

        /// <summary>A static NUL-terminated string.</summary>
        internal static string FromNulTerminated(IntPtr ptr)
        {
            if (ptr == IntPtr.Zero)
            {
                return null;
            }
            int n = 0;
            while (Marshal.ReadByte(ptr, n) != 0)
            {
                n++;
            }
            return String(ptr, new UIntPtr((uint)n));
        }

        /// <summary>Allocates an unmanaged copy of <paramref name="text"/> (IntPtr.Zero for null); free with <see cref="Free"/>.</summary>
        internal static IntPtr Alloc(string text, out UIntPtr len)
        {
            if (text == null)
            {
                len = UIntPtr.Zero;
                return IntPtr.Zero;
            }
            byte[] bytes = Strict.GetBytes(text);
            IntPtr ptr = Marshal.AllocHGlobal(Math.Max(bytes.Length, 1));
            Marshal.Copy(bytes, 0, ptr, bytes.Length);
            len = new UIntPtr((uint)bytes.Length);
            return ptr;
        }

        internal static void Free(IntPtr ptr)
        {
            if (ptr != IntPtr.Zero)
            {
                Marshal.FreeHGlobal(ptr);
            }
        }
    }
}

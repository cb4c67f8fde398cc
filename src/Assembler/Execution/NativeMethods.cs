using System.Runtime.InteropServices;

namespace OrasAssemble.Execution;

/// <summary>The one system call the runtime has no API for.</summary>
internal static class NativeMethods
{
    /// <summary>link(2): on Linux it never follows a symbolic link given as <paramref name="existing"/>.</summary>
    public static void CreateHardLink(string existing, string newPath)
    {
        if (Link(existing, newPath) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"link {newPath} -> {existing}: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        }
    }

    [DllImport("libc", EntryPoint = "link", SetLastError = true)]
    private static extern int Link(
        [MarshalAs(UnmanagedType.LPUTF8Str)] string existing,
        [MarshalAs(UnmanagedType.LPUTF8Str)] string newPath);
}

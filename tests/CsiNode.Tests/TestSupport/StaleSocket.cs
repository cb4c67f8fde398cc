using System.Runtime.InteropServices;

namespace OrasAssemble.CsiNode.Tests.TestSupport;

/// <summary>
/// A socket file nobody listens on, as a killed plugin leaves behind. .NET unlinks the sockets it binds when they are
/// disposed, so the inode is made directly.
/// </summary>
internal static class StaleSocket
{
    private const uint SocketType = 0xC000; // S_IFSOCK

    public static void Create(string path)
    {
        if (MakeNode(path, SocketType | 0x180, 0) != 0)
        {
            throw new IOException($"mknod {path}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }
    }

    [DllImport("libc", EntryPoint = "mknod", SetLastError = true)]
    private static extern int MakeNode([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode, ulong device);
}

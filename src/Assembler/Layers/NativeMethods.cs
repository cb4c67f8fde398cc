using System.Runtime.InteropServices;

namespace OrasAssemble.Layers;

/// <summary>The system calls the runtime has no API for.</summary>
internal static partial class NativeMethods
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

    /// <summary>rename(2): moves whatever is at the path, a link included, never what a link points to.</summary>
    public static void Rename(string from, string to)
    {
        if (RenameEntry(from, to) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"rename {from} -> {to}: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        }
    }

    /// <summary>lchown(2): sets the owner of the entry itself, a link included, never of what a link points to.</summary>
    public static void SetOwner(string path, uint uid, uint gid)
    {
        if (LChown(path, uid, gid) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"lchown {path} {uid}:{gid}: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        }
    }

    /// <summary>The process's effective user and group, which own what it creates.</summary>
    public static (uint Uid, uint Gid) EffectiveOwner() => (GetEffectiveUid(), GetEffectiveGid());

    [LibraryImport("libc", EntryPoint = "lchown", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int LChown(string path, uint uid, uint gid);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEffectiveUid();

    [LibraryImport("libc", EntryPoint = "getegid")]
    private static partial uint GetEffectiveGid();

    [DllImport("libc", EntryPoint = "rename", SetLastError = true)]
    private static extern int RenameEntry(
        [MarshalAs(UnmanagedType.LPUTF8Str)] string from,
        [MarshalAs(UnmanagedType.LPUTF8Str)] string to);

    [DllImport("libc", EntryPoint = "link", SetLastError = true)]
    private static extern int Link(
        [MarshalAs(UnmanagedType.LPUTF8Str)] string existing,
        [MarshalAs(UnmanagedType.LPUTF8Str)] string newPath);
}

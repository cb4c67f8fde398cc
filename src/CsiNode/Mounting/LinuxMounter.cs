using System.Runtime.InteropServices;

namespace OrasAssemble.CsiNode.Mounting;

/// <summary>
/// Bind mounts through mount(2) and umount2(2). A bind mount takes the read-only flag only on a remount, so a
/// read-only bind is two calls; if the second fails the first is undone, so a writable view never stays behind.
/// </summary>
internal sealed partial class LinuxMounter : IMounter
{
    private const ulong ReadOnly = 0x1;        // MS_RDONLY
    private const ulong NoSetUid = 0x2;        // MS_NOSUID
    private const ulong NoDevices = 0x4;       // MS_NODEV
    private const ulong Remount = 0x20;        // MS_REMOUNT
    private const ulong Bind = 0x1000;         // MS_BIND
    private const int Detach = 0x2;            // MNT_DETACH
    private const int NotMounted = 22;         // EINVAL from umount2: not a mount point
    private const int NoEntry = 2;             // ENOENT
    private const int Busy = 16;               // EBUSY
    private const int NotDirectory = 20;       // ENOTDIR
    private const int AtCurrentDirectory = -100;      // AT_FDCWD
    private const int SymlinkNoFollow = 0x100;        // AT_SYMLINK_NOFOLLOW
    private const int NoAutomount = 0x800;            // AT_NO_AUTOMOUNT
    private const uint StatxBasicStats = 0x7ff;       // STATX_BASIC_STATS
    private const ulong MountRootAttribute = 0x2000;  // STATX_ATTR_MOUNT_ROOT
    private const int StatxSize = 256;                // sizeof(struct statx)
    private const int StatxAttributesOffset = 8;      // stx_attributes
    private const int StatxAttributesMaskOffset = 56; // stx_attributes_mask

    public void BindReadOnly(string source, string target)
    {
        if (Mount(source, target, null, Bind, 0) != 0)
        {
            throw Failure("bind mount", source, target);
        }

        if (Mount(source, target, null, Remount | Bind | ReadOnly | NoSetUid | NoDevices, 0) != 0)
        {
            var failure = Failure("read-only remount", source, target);
            _ = Unmount2(target, Detach);
            throw failure;
        }
    }

    public void BindWritable(string source, string target)
    {
        if (Mount(source, target, null, Bind, 0) != 0)
        {
            throw Failure("bind mount", source, target);
        }

        if (Mount(source, target, null, Remount | Bind | NoSetUid | NoDevices, 0) != 0)
        {
            var failure = Failure("nosuid,nodev remount", source, target);
            _ = Unmount2(target, Detach);
            throw failure;
        }
    }

    public void Unmount(string target)
    {
        if (Unmount2(target, 0) == 0)
        {
            return;
        }

        var errno = Marshal.GetLastPInvokeError();
        switch (errno)
        {
            case NotMounted or NoEntry:
                return;
            case Busy when Unmount2(target, Detach) == 0:
                // Something still has the tree open; it is detached now and goes when that lets go.
                return;
            default:
                throw new IOException($"unmount {target}: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        }
    }

    public IReadOnlySet<string> MountPoints() => MountInfo.ParseMountPoints(File.ReadAllText(MountInfo.SelfPath));

    public IReadOnlyDictionary<string, string> MountRoots() => MountInfo.ParseMountRoots(File.ReadAllText(MountInfo.SelfPath));

    /// <summary>
    /// One statx(2) call: the kernel marks the root of every mount (<c>STATX_ATTR_MOUNT_ROOT</c>, Linux 5.8), so a
    /// publish need not read and parse the whole mount table, which grows with every pod on the node. A kernel that
    /// does not report the attribute is answered from the table.
    /// </summary>
    public unsafe bool IsMountPoint(string path)
    {
        var buffer = stackalloc byte[StatxSize];
        if (Statx(AtCurrentDirectory, path, SymlinkNoFollow | NoAutomount, StatxBasicStats, buffer) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            return errno is NoEntry or NotDirectory ? false : MountPoints().Contains(path);
        }

        var attributes = *(ulong*)(buffer + StatxAttributesOffset);
        var supported = *(ulong*)(buffer + StatxAttributesMaskOffset);
        return (supported & MountRootAttribute) != 0 ? (attributes & MountRootAttribute) != 0 : MountPoints().Contains(path);
    }

    private static IOException Failure(string what, string source, string target)
    {
        var errno = Marshal.GetLastPInvokeError();
        return new IOException($"{what} of {source} at {target}: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
    }

    [LibraryImport("libc", EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Mount(string source, string target, string? fileSystemType, ulong flags, nint data);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Statx(int directory, string path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Unmount2(string target, int flags);
}

using System.Runtime.InteropServices;

namespace OrasAssemble.Tests.TestSupport;

/// <summary>
/// What lstat says about one entry, including what .NET does not expose (owner, inode, device numbers, nanosecond
/// times). Read with statx, whose layout is the same on every Linux architecture.
/// </summary>
internal readonly record struct EntryStatus(
    EntryType Type, int Mode, uint Uid, uint Gid, long MtimeSeconds, uint MtimeNanoseconds, ulong Inode, uint Links,
    long Size, uint DeviceMajor, uint DeviceMinor)
{
    private const int CurrentDirectory = -100; // AT_FDCWD
    private const int NoFollow = 0x100;        // AT_SYMLINK_NOFOLLOW
    private const uint BasicStats = 0x7FF;     // STATX_BASIC_STATS

    /// <summary>True for the entries a container extraction may create but a tree of files may skip.</summary>
    public bool IsSpecial => Type is EntryType.CharacterDevice or EntryType.BlockDevice or EntryType.Fifo or EntryType.Socket;

    /// <summary>The permission, setuid, setgid and sticky bits.</summary>
    public int Permissions => Mode & 0xFFF;

    public static EntryStatus Read(string path)
    {
        if (Statx(CurrentDirectory, path, NoFollow, BasicStats, out var b) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"statx {path}: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        }

        var type = (b.Mode & 0xF000) switch
        {
            0x8000 => EntryType.File,
            0x4000 => EntryType.Directory,
            0xA000 => EntryType.Symlink,
            0x2000 => EntryType.CharacterDevice,
            0x6000 => EntryType.BlockDevice,
            0x1000 => EntryType.Fifo,
            0xC000 => EntryType.Socket,
            var other => throw new IOException($"statx {path}: unknown file type 0x{other:x}"),
        };
        return new EntryStatus(type, b.Mode, b.Uid, b.Gid, b.MtimeSeconds, b.MtimeNanoseconds, b.Inode, b.Links, (long)b.Size, b.RdevMajor, b.RdevMinor);
    }

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int directory, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, out StatxBuffer buffer);

    // struct statx (linux/stat.h): 256 bytes; statx_timestamp is { s64 tv_sec; u32 tv_nsec; s32 reserved }.
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct StatxBuffer
    {
        [FieldOffset(16)] public uint Links;
        [FieldOffset(20)] public uint Uid;
        [FieldOffset(24)] public uint Gid;
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(32)] public ulong Inode;
        [FieldOffset(40)] public ulong Size;
        [FieldOffset(112)] public long MtimeSeconds;
        [FieldOffset(120)] public uint MtimeNanoseconds;
        [FieldOffset(128)] public uint RdevMajor;
        [FieldOffset(132)] public uint RdevMinor;
    }
}

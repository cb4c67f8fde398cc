using System.Runtime.InteropServices;

namespace OrasAssemble.IO;

/// <summary>
/// The inode facts .NET does not expose: the inode number (to count a hard-linked file once), the link count (a blob
/// no tree links to has one) and the blocks a file takes on disk. Read with statx, whose layout is the same on every
/// Linux architecture.
/// </summary>
internal static partial class FileIdentity
{
    private const int CurrentDirectory = -100;   // AT_FDCWD
    private const int NoFollow = 0x100;          // AT_SYMLINK_NOFOLLOW
    private const uint BasicStats = 0x7FF;       // STATX_BASIC_STATS
    private const uint BirthTime = 0x800;        // STATX_BTIME

    /// <summary>STATX_TYPE: the file type alone (stx_mode's S_IFMT bits, at 28).</summary>
    internal const uint TypeOnly = 0x1;

    /// <summary>
    /// statx of the entry itself (a link, not what it points to) for the fields in <paramref name="mask"/>, into a
    /// buffer of 256 bytes (struct statx); returns 0, or the errno of the failure.
    /// </summary>
    internal static int Stat(string path, uint mask, Span<byte> buffer) =>
        Statx(CurrentDirectory, path, NoFollow, mask, ref MemoryMarshal.GetReference(buffer)) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <returns>Null when the entry is gone.</returns>
    public static (ulong Inode, uint Links, long DiskBytes, bool IsDirectory)? Read(string path)
    {
        Span<byte> buffer = stackalloc byte[256];
        if (Stat(path, BasicStats, buffer) != 0)
        {
            return null;
        }

        // struct statx: stx_nlink at 16 (u32), stx_mode at 28 (u16), stx_ino at 32 (u64), stx_blocks at 48 (u64, 512-byte units).
        var links = MemoryMarshal.Read<uint>(buffer[16..]);
        var mode = MemoryMarshal.Read<ushort>(buffer[28..]);
        var inode = MemoryMarshal.Read<ulong>(buffer[32..]);
        var blocks = MemoryMarshal.Read<ulong>(buffer[48..]);
        return (inode, links, (long)blocks * 512, (mode & 0xF000) == 0x4000);
    }

    /// <summary>The entry's own owner and group (a link's, not its target's); null when the entry is gone.</summary>
    public static (uint Uid, uint Gid)? Owner(string path)
    {
        Span<byte> buffer = stackalloc byte[256];
        if (Stat(path, BasicStats, buffer) != 0)
        {
            return null;
        }

        // struct statx: stx_uid at 20 (u32), stx_gid at 24 (u32).
        return (MemoryMarshal.Read<uint>(buffer[20..]), MemoryMarshal.Read<uint>(buffer[24..]));
    }

    /// <summary>
    /// When the entry was written: its birth time where the file system keeps one. Elsewhere the later of its content
    /// time and its inode change time, which is never older than the write (a file's time can be set to anything, as a
    /// hard link's fixed time is, but that moves the change time to now). Null when the entry is gone.
    /// </summary>
    public static DateTime? WrittenUtc(string path)
    {
        Span<byte> buffer = stackalloc byte[256];
        if (Stat(path, BasicStats | BirthTime, buffer) != 0)
        {
            return null;
        }

        // struct statx: stx_mask at 0 (u32); stx_btime at 80, stx_ctime at 96, stx_mtime at 112, each { s64 tv_sec; u32 tv_nsec; }.
        if ((MemoryMarshal.Read<uint>(buffer) & BirthTime) != 0)
        {
            return Time(buffer[80..]);
        }

        var (changed, modified) = (Time(buffer[96..]), Time(buffer[112..]));
        return changed > modified ? changed : modified;

        static DateTime Time(ReadOnlySpan<byte> timestamp) =>
            DateTime.UnixEpoch.AddSeconds(MemoryMarshal.Read<long>(timestamp)).AddTicks(MemoryMarshal.Read<uint>(timestamp[8..]) / 100);
    }

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Statx(int directory, string path, int flags, uint mask, ref byte buffer);
}

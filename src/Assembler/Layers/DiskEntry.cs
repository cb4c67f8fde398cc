using System.Runtime.InteropServices;
using OrasAssemble.IO;

namespace OrasAssemble.Layers;

internal static class DiskEntry
{
    private const int NoEntry = 2;               // ENOENT
    private const int NotADirectory = 20;        // ENOTDIR

    /// <summary>
    /// lstat: a link is reported as a link, whatever it points to. One statx asking for the type alone: extraction
    /// probes every parent of every entry, and the runtime's attribute read costs a second stat of a link's target, a
    /// geteuid, and an exception for each entry not there yet.
    /// </summary>
    public static EntryKind Probe(string fullPath)
    {
        Span<byte> buffer = stackalloc byte[256];
        var errno = FileIdentity.Stat(fullPath, FileIdentity.TypeOnly, buffer);
        if (errno != 0)
        {
            return errno is NoEntry or NotADirectory
                ? EntryKind.Missing
                : throw new IOException($"lstat {fullPath}: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        }

        // struct statx: stx_mode at 28 (u16); the file type is its S_IFMT bits.
        return (MemoryMarshal.Read<ushort>(buffer[28..]) & 0xF000) switch
        {
            0xA000 => EntryKind.Symlink,
            0x4000 => EntryKind.Directory,
            _ => EntryKind.File,
        };
    }
}

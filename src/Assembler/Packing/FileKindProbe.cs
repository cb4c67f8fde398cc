using System.Runtime.InteropServices;

namespace OrasAssemble.Packing;

/// <summary>
/// Tells regular files from FIFOs, sockets and devices, which .NET's file APIs do not distinguish. Opening a FIFO
/// to read it would block forever and a device may never end, so these must be recognised before any read.
/// </summary>
public static partial class FileKindProbe
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxType = 0x1;
    private const int FileTypeMask = 0xF000;
    private const int RegularFileType = 0x8000;
    private const int DirectoryType = 0x4000;
    private const int SymbolicLinkType = 0xA000;

    public static FileKind Probe(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not null)
        {
            return FileKind.SymbolicLink;
        }

        if (Directory.Exists(path))
        {
            return FileKind.Directory;
        }

        if (!OperatingSystem.IsLinux())
        {
            return FileKind.RegularFile;
        }

        // statx has one layout on every Linux architecture, unlike stat, so it can be called without per-CPU structs.
        if (Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxType, out var status) != 0)
        {
            // An old kernel or C library without statx: fall back to what .NET could tell.
            return FileKind.RegularFile;
        }

        return (status.Mode & FileTypeMask) switch
        {
            RegularFileType => FileKind.RegularFile,
            DirectoryType => FileKind.Directory,
            SymbolicLinkType => FileKind.SymbolicLink,
            _ => FileKind.Special,
        };
    }

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Statx(int directoryFd, string path, int flags, uint mask, out StatxBuffer buffer);

    // struct statx is 256 bytes; stx_mode (u16) follows stx_mask, stx_blksize, stx_attributes, stx_nlink, stx_uid, stx_gid.
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct StatxBuffer
    {
        [FieldOffset(28)]
        public ushort Mode;
    }
}

using System.Runtime.InteropServices;

namespace OrasAssemble.IO;

/// <summary>
/// Flushes everything written under a directory to disk before it is published by a rename. On Linux one
/// <c>syncfs</c> covers the whole file system, far cheaper than an fsync per file of a large tree.
/// </summary>
internal static partial class FileSystemSync
{
    private const int ReadOnly = 0;
    private const int Directory = 0x10000;

    public static void SyncFileSystemOf(string directory)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var fd = Open(directory, ReadOnly | Directory);
        if (fd < 0)
        {
            throw new IOException($"cannot open {directory} to flush it to disk (errno {Marshal.GetLastPInvokeError()})");
        }

        try
        {
            if (SyncFs(fd) != 0)
            {
                throw new IOException($"flushing {directory} to disk failed (errno {Marshal.GetLastPInvokeError()})");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "syncfs", SetLastError = true)]
    private static partial int SyncFs(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}

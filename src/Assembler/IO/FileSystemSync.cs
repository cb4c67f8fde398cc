using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace OrasAssemble.IO;

/// <summary>
/// Flushing to disk what .NET has no call for: everything written under a directory before it is published by a rename
/// (on Linux one <c>syncfs</c> covers the whole file system, far cheaper than an fsync per file of a large tree), and a
/// directory itself, which .NET cannot open as a stream (after a rename, that makes the new name survive a power loss,
/// not only the new file's bytes).
/// </summary>
public static partial class FileSystemSync
{
    private const int ReadOnlyDirectory = 0x10000 | 0x80000; // O_RDONLY | O_DIRECTORY | O_CLOEXEC
    private const uint SyncFileRangeWrite = 2;               // SYNC_FILE_RANGE_WRITE

    /// <exception cref="IOException">The directory cannot be opened, or the flush failed.</exception>
    public static void SyncFileSystemOf(string directory)
    {
        if (OperatingSystem.IsLinux())
        {
            OnDirectory(directory, "syncfs", SyncFs);
        }
    }

    /// <summary>
    /// Starts writing a file's dirty pages to disk without waiting for them (Linux's sync_file_range with
    /// SYNC_FILE_RANGE_WRITE), so that a flush of the whole file system at the end finds most of a large tree's bytes
    /// already on their way. Only a hint: it guarantees nothing, and a failure is ignored (the flush still does it all).
    /// </summary>
    public static void StartWriteback(SafeFileHandle file)
    {
        if (OperatingSystem.IsLinux())
        {
            _ = SyncFileRange(file, 0, 0, SyncFileRangeWrite);
        }
    }

    /// <summary>fsync(2) of the directory itself: its entries, not the files they name.</summary>
    /// <exception cref="IOException">The directory cannot be opened or synced.</exception>
    public static void FlushDirectory(string directory) => OnDirectory(directory, "fsync", Fsync);

    private static void OnDirectory(string directory, string call, Func<int, int> flush)
    {
        var fd = Open(directory, ReadOnlyDirectory);
        if (fd < 0)
        {
            throw Failure("open", directory);
        }

        try
        {
            if (flush(fd) != 0)
            {
                throw Failure(call, directory);
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    private static IOException Failure(string what, string directory)
    {
        var errno = Marshal.GetLastPInvokeError();
        return new IOException($"{what} {directory}: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "syncfs", SetLastError = true)]
    private static partial int SyncFs(int fd);

    [LibraryImport("libc", EntryPoint = "sync_file_range")]
    private static partial int SyncFileRange(SafeFileHandle fd, long offset, long count, uint flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}

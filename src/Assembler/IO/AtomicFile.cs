namespace OrasAssemble.IO;

/// <summary>
/// Replaces a file so that readers see the old content or the new, never a mix, even after a power loss: the bytes
/// go to a temporary file that is flushed to disk, renamed over the target, and then the directory is flushed so the
/// new name is as durable as the bytes. <see cref="Write"/> can skip both flushes for state a reboot makes moot.
/// </summary>
public static class AtomicFile
{
    private const UnixFileMode PrivateDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>The suffix of a temporary file this writer leaves behind when its process dies mid-write.</summary>
    public const string TempSuffix = ".partial";

    /// <param name="mode">The file's mode, set before any byte is written; null for the process's default.</param>
    /// <param name="tempDirectory">
    /// Where the temporary file is written, on the same file system as <paramref name="path"/>; the target's own
    /// directory when null. A missing target directory is created readable by its owner only.
    /// </param>
    public static async Task WriteAsync(
        string path, ReadOnlyMemory<byte> content, UnixFileMode? mode = null, string? tempDirectory = null, CancellationToken cancellationToken = default)
    {
        var (fullPath, directory, temp) = Prepare(path, tempDirectory);
        try
        {
            var stream = new FileStream(temp, Options(mode, FileOptions.Asynchronous));
            await using (stream.ConfigureAwait(false))
            {
                await stream.WriteAsync(content, cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }

            Publish(temp, fullPath, directory, mode, sync: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <inheritdoc cref="WriteAsync"/>
    /// <param name="sync">
    /// False to skip flushing the file and its directory to disk. The replacement is still atomic for every reader and
    /// survives the writer's process dying (the bytes are in the page cache), but not a power loss: then the file may
    /// come back as the old one, missing, empty or zero-filled, so a reader must treat such content as absent.
    /// </param>
    public static void Write(string path, ReadOnlySpan<byte> content, UnixFileMode? mode = null, string? tempDirectory = null, bool sync = true)
    {
        var (fullPath, directory, temp) = Prepare(path, tempDirectory);
        try
        {
            using (var stream = new FileStream(temp, Options(mode, FileOptions.None)))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: sync);
            }

            Publish(temp, fullPath, directory, mode, sync);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    private static (string FullPath, string Directory, string Temp) Prepare(string path, string? tempDirectory)
    {
        var fullPath = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(fullPath)
            ?? throw new ArgumentException($"{path} has no parent directory", nameof(path));
        if (!Directory.Exists(directory))
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
            }
            else
            {
                Directory.CreateDirectory(directory, PrivateDirectory);
            }
        }

        // On the target's file system, so the rename is atomic.
        var temp = Path.Combine(tempDirectory ?? directory, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}{TempSuffix}");
        return (fullPath, directory, temp);
    }

    private static FileStreamOptions Options(UnixFileMode? mode, FileOptions options)
    {
        var result = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
            Options = options,
        };
        if (mode is { } created && !OperatingSystem.IsWindows())
        {
            // Created with the final mode, so a secret is never readable by others, not even briefly.
            result.UnixCreateMode = created;
        }

        return result;
    }

    private static void Publish(string temp, string fullPath, string directory, UnixFileMode? mode, bool sync)
    {
        if (mode is { } exact && !OperatingSystem.IsWindows())
        {
            // The umask may have taken bits away from the create mode; set exactly what was asked for.
            File.SetUnixFileMode(temp, exact);
        }

        File.Move(temp, fullPath, overwrite: true);
        if (sync && !OperatingSystem.IsWindows())
        {
            FileSystemSync.FlushDirectory(directory);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Leave it; the original error is the one worth reporting.
        }
    }
}

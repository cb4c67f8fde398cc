using System.Diagnostics;

namespace OrasAssemble.IO;

/// <summary>
/// A lock between processes, held alone or shared: a file held open with no sharing (or sharing only reads), which
/// .NET backs with <c>flock</c> on Unix and a share-mode lock on Windows. Both are released by the kernel when the holder dies, so a crash never
/// leaves anything locked.
/// </summary>
internal sealed class FileLock : IDisposable
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromMilliseconds(100);

    private readonly FileStream _handle;

    private FileLock(FileStream handle) => _handle = handle;

    /// <summary>Waits for the lock alone: no other holder, shared or exclusive, in this process or another.</summary>
    /// <param name="holder">What the holder is doing, for the timeout message, e.g. "updating the layout".</param>
    public static Task<FileLock> AcquireAsync(string path, TimeSpan timeout, string holder, CancellationToken cancellationToken) =>
        AcquireAsync(path, FileShare.None, timeout, holder, cancellationToken);

    /// <summary>
    /// Waits for a share of the lock: any number of shared holders at once, but none while it is held alone, and
    /// nobody may take it alone while any share is held.
    /// </summary>
    public static Task<FileLock> AcquireSharedAsync(string path, TimeSpan timeout, string holder, CancellationToken cancellationToken) =>
        AcquireAsync(path, FileShare.Read, timeout, holder, cancellationToken);

    /// <summary>The lock alone if nobody holds it now, else null; never waits.</summary>
    public static FileLock? TryAcquire(string path) => TryOpen(path, FileShare.None, out _);

    private static async Task<FileLock> AcquireAsync(string path, FileShare share, TimeSpan timeout, string holder, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var backoff = TimeSpan.FromMilliseconds(2);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (TryOpen(path, share, out var busy) is { } held)
            {
                return held;
            }

            if (Stopwatch.GetElapsedTime(started) >= timeout)
            {
                throw new TimeoutException(
                    $"could not lock {path} within {timeout.TotalSeconds:0.###} s: another process is still {holder}", busy);
            }

            // Jitter keeps two waiting processes from retrying in lockstep.
            await Task.Delay(backoff + TimeSpan.FromMilliseconds(Random.Shared.Next(0, 3)), cancellationToken).ConfigureAwait(false);
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
        }
    }

    // .NET takes flock(LOCK_EX) for FileShare.None and flock(LOCK_SH) for a read-only open that shares reading.
    private static FileLock? TryOpen(string path, FileShare share, out IOException? busy)
    {
        try
        {
            busy = null;
            var access = share == FileShare.None ? FileAccess.ReadWrite : FileAccess.Read;
            return new FileLock(new FileStream(path, FileMode.OpenOrCreate, access, share, bufferSize: 1));
        }
        catch (IOException e) when (e is not DirectoryNotFoundException and not FileNotFoundException)
        {
            busy = e;
            return null;
        }
    }

    // The file itself stays: deleting it would let a waiter lock an unlinked inode while a newcomer locks a new one.
    public void Dispose() => _handle.Dispose();
}

using System.Diagnostics;

namespace OrasAssemble.IO;

/// <summary>
/// An exclusive lock between processes: a file held open with no sharing, which .NET backs with <c>flock</c> on
/// Unix and a share-mode lock on Windows. Both are released by the kernel when the holder dies, so a crash never
/// leaves anything locked.
/// </summary>
internal sealed class FileLock : IDisposable
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromMilliseconds(100);

    private readonly FileStream _handle;

    private FileLock(FileStream handle) => _handle = handle;

    /// <param name="holder">What the holder is doing, for the timeout message, e.g. "updating the layout".</param>
    public static async Task<FileLock> AcquireAsync(string path, TimeSpan timeout, string holder, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var backoff = TimeSpan.FromMilliseconds(2);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                return new FileLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 1));
            }
            catch (IOException e) when (e is not DirectoryNotFoundException and not FileNotFoundException)
            {
                if (Stopwatch.GetElapsedTime(started) >= timeout)
                {
                    throw new TimeoutException(
                        $"could not lock {path} within {timeout.TotalSeconds:0.###} s: another process is still {holder}", e);
                }
            }

            // Jitter keeps two waiting processes from retrying in lockstep.
            await Task.Delay(backoff + TimeSpan.FromMilliseconds(Random.Shared.Next(0, 3)), cancellationToken).ConfigureAwait(false);
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
        }
    }

    // The file itself stays: deleting it would let a waiter lock an unlinked inode while a newcomer locks a new one.
    public void Dispose() => _handle.Dispose();
}

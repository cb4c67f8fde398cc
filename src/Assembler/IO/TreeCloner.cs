using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using System.Runtime.Versioning;
using OrasAssemble.Layers;

namespace OrasAssemble.IO;

/// <summary>
/// Gives a composed tree a second name outside the cache without copying its bytes: directories are created with the
/// same permission bits, owners and times; regular files and symbolic links are hard-linked (link(2) on Linux links a
/// symbolic link itself), so they keep their owners and times with no call to set them. The clone
/// is built in a temporary directory beside the destination and renamed into place, so the destination is either
/// absent (or the empty directory it was) or complete.
/// </summary>
/// <remarks>
/// The files and links share their inodes with the cache: they must be replaced, never edited in place. When the
/// destination is on another file system, where hard links cannot reach, files are copied instead and links made anew
/// with the same target, owner and time (owners as far as the process may give files away).
/// </remarks>
[UnsupportedOSPlatform("windows")]
public static class TreeCloner
{
    private const int CrossDevice = 18; // EXDEV

    /// <summary>Why <paramref name="destination"/> cannot receive a clone, or null when it can: it must not exist, or be an empty directory.</summary>
    public static string? DestinationProblem(string destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var info = new FileInfo(destination);
        if (info.LinkTarget is not null)
        {
            return $"{destination} is a symbolic link; name a directory that does not exist yet, or an empty one";
        }

        if (info.Exists)
        {
            return $"{destination} is a file; name a directory that does not exist yet, or an empty one";
        }

        return Directory.Exists(destination) && Directory.EnumerateFileSystemEntries(destination).Any()
            ? $"{destination} is not empty; name a directory that does not exist yet, or an empty one"
            : null;
    }

    /// <summary>Clones <paramref name="source"/> to <paramref name="destination"/>, whose parent directories are created as needed.</summary>
    /// <exception cref="IOException">The destination exists and is not an empty directory, or the file system refused.</exception>
    public static void Clone(string source, string destination)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        if (DestinationProblem(destination) is { } problem)
        {
            throw new IOException(problem);
        }

        var target = Path.GetFullPath(destination).TrimEnd(Path.DirectorySeparatorChar);
        var parent = Path.GetDirectoryName(target) ?? throw new IOException($"{destination} has no parent directory to build the clone in");
        Directory.CreateDirectory(parent);
        var temp = Path.Combine(parent, $".{Path.GetFileName(target)}.oras-assemble-{Guid.NewGuid():N}.tmp");
        try
        {
            Directory.CreateDirectory(temp);
            var copy = new Cloning(Ownership.ForProcess());
            copy.CloneTree(Path.GetFullPath(source), temp);
            if (Directory.Exists(target))
            {
                // Only an empty directory can be deleted this way, so anything that appeared meanwhile is kept.
                Directory.Delete(target);
            }

            Directory.Move(temp, target);
        }
        catch
        {
            TempTree.DeleteQuietly(temp);
            throw;
        }
    }

    private sealed class Cloning(Ownership owners)
    {
        // Link calls are most of a clone and independent of one another: a few threads make them at once.
        private static readonly int Workers = Math.Clamp(Environment.ProcessorCount, 1, 4);

        private volatile bool _copyFiles;

        /// <summary>
        /// Clones every entry under <paramref name="from"/> into the existing <paramref name="to"/>: directories are taken
        /// by whichever worker is free, and get their owners, modes and times once every entry exists, so that a read-only
        /// directory does not stop its own entries from being made, and its time is not changed by them.
        /// </summary>
        public void CloneTree(string from, string to)
        {
            var work = new ConcurrentQueue<(string From, string To)>();
            var made = new ConcurrentQueue<(string From, string To)>();
            var pending = 1;
            Exception? failure = null;
            using var ready = new SemaphoreSlim(0);
            work.Enqueue((from, to));
            ready.Release();

            void Work()
            {
                while (true)
                {
                    // One permit per queued directory, and one per worker once all are done or one failed.
                    ready.Wait();
                    if (Volatile.Read(ref failure) is not null || !work.TryDequeue(out var directory))
                    {
                        return;
                    }

                    try
                    {
                        CloneEntries(directory.From, directory.To, sub =>
                        {
                            Interlocked.Increment(ref pending);
                            work.Enqueue(sub);
                            ready.Release();
                        });
                        made.Enqueue(directory);
                    }
                    catch (Exception e)
                    {
                        Interlocked.CompareExchange(ref failure, e, null);
                        ready.Release(Workers);
                        return;
                    }

                    if (Interlocked.Decrement(ref pending) == 0)
                    {
                        ready.Release(Workers);
                    }
                }
            }

            var threads = Enumerable.Range(0, Workers).Select(_ => Task.Factory.StartNew(Work, TaskCreationOptions.LongRunning)).ToArray();
            Task.WaitAll(threads);
            if (failure is not null)
            {
                ExceptionDispatchInfo.Throw(failure);
            }

            // Deepest first: a directory whose mode leaves out the search bit must not stop its subdirectories' turn.
            foreach (var (source, destination) in made.OrderByDescending(d => d.To.Count(c => c == '/')))
            {
                owners.Set(destination, OwnerOf(source));
                File.SetUnixFileMode(destination, File.GetUnixFileMode(source));
                Directory.SetLastWriteTimeUtc(destination, Directory.GetLastWriteTimeUtc(source));
            }
        }

        private void CloneEntries(string from, string to, Action<(string From, string To)> subdirectory)
        {
            foreach (var entry in new DirectoryInfo(from).EnumerateFileSystemInfos())
            {
                var destination = Path.Combine(to, entry.Name);
                // The enumeration's own lstat tells a link; asking each entry for a link target would be a readlink more.
                if ((entry.Attributes & FileAttributes.ReparsePoint) != 0)
                {
                    CloneLink(entry, destination);
                }
                else if (entry is DirectoryInfo)
                {
                    Directory.CreateDirectory(destination);
                    subdirectory((entry.FullName, destination));
                }
                else
                {
                    CloneFile(entry.FullName, destination);
                }
            }
        }

        private void CloneLink(FileSystemInfo link, string to)
        {
            if (TryHardLink(link.FullName, to))
            {
                return;
            }

            File.CreateSymbolicLink(to, link.LinkTarget ?? throw new IOException($"{link.FullName} changed while it was cloned"));
            owners.Set(to, OwnerOf(link.FullName));
            File.SetLastWriteTimeUtc(to, link.LastWriteTimeUtc);
        }

        private void CloneFile(string from, string to)
        {
            if (TryHardLink(from, to))
            {
                return;
            }

            File.Copy(from, to);
            owners.Set(to, OwnerOf(from));
            File.SetUnixFileMode(to, File.GetUnixFileMode(from));
            File.SetLastWriteTimeUtc(to, File.GetLastWriteTimeUtc(from));
        }

        /// <summary>
        /// Hard-links <paramref name="from"/> at <paramref name="to"/>; false once the destination has turned out to be on
        /// another file system, from then on for every entry.
        /// </summary>
        private bool TryHardLink(string from, string to)
        {
            if (_copyFiles)
            {
                return false;
            }

            try
            {
                NativeMethods.CreateHardLink(from, to);
                return true;
            }
            catch (IOException e) when (e.HResult == CrossDevice)
            {
                _copyFiles = true;
                return false;
            }
        }

        private static (uint Uid, uint Gid) OwnerOf(string path) =>
            FileIdentity.Owner(path) ?? throw new IOException($"{path} disappeared while it was cloned");
    }
}

using OrasAssemble.Oci;

namespace OrasAssemble.Content;

/// <summary>
/// Content-addressed blobs on disk at <c>blobs/&lt;algorithm&gt;/&lt;hex&gt;</c>. A blob is streamed to a temp file while
/// it is hashed, flushed to disk, made read-only and only then renamed into place, so a blob path either does not
/// exist or holds exactly the bytes its name says. Trees hard-link these files, which is why they are never
/// rewritten in place.
/// </summary>
public sealed class BlobStore : IStorage, IDeletable
{
    /// <summary>Suffix of the files a push writes before renaming them; anything with it is unfinished.</summary>
    internal const string PartialSuffix = ".partial";

    private const int CopyBufferSize = 128 * 1024;

    private readonly bool _verifyOnFetch;
    private readonly UnixFileMode _fileMode;

    public BlobStore(BlobStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Root);
        Root = Path.GetFullPath(options.Root);
        BlobsDirectory = Path.Combine(Root, "blobs");
        TempDirectory = Path.GetFullPath(options.TempDirectory ?? Path.Combine(Root, "tmp"));
        _verifyOnFetch = options.VerifyOnFetch;
        _fileMode = options.FileMode;
    }

    public string Root { get; }

    public string BlobsDirectory { get; }

    public string TempDirectory { get; }

    /// <summary>
    /// The file that holds (or would hold) the blob. The digest is validated first, so what comes back is always a
    /// path below <see cref="BlobsDirectory"/>: a digest cannot smuggle in <c>..</c> or a separator.
    /// </summary>
    /// <exception cref="FormatException">The digest is malformed or of an algorithm we cannot verify.</exception>
    public string GetPath(string digest)
    {
        var (algorithm, encoded) = Digest.Split(Digest.Validate(digest));
        return Path.Combine(BlobsDirectory, algorithm, encoded);
    }

    /// <summary>Whether the blob is here, with the size the descriptor states.</summary>
    public Task<bool> ExistsAsync(Descriptor target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(IsPresent(GetPath(target.Digest), target.Size));
    }

    /// <summary>
    /// Opens the blob for reading. The size is always checked against the file; the digest only when the store
    /// was opened with <see cref="BlobStoreOptions.VerifyOnFetch"/>, because blobs written here were hashed on the
    /// way in and are read-only since.
    /// </summary>
    public Task<Stream> FetchAsync(Descriptor target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        cancellationToken.ThrowIfCancellationRequested();
        var path = GetPath(target.Digest);
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, CopyBufferSize, FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new NotFoundException($"blob {target.Digest} not found", e);
        }

        if (file.Length != target.Size)
        {
            var length = file.Length;
            file.Dispose();
            throw new ContentVerificationException(
                $"blob {target.Digest} on disk has {length} bytes but its descriptor states {target.Size}");
        }

        return Task.FromResult<Stream>(_verifyOnFetch ? new VerifyingStream(file, target) : file);
    }

    /// <summary>
    /// Stores the content if it matches <paramref name="expected"/>. When the blob is already here the content
    /// is not read. On a size or digest mismatch nothing is kept and <see cref="ContentVerificationException"/> is
    /// thrown. Any number of writers of the same blob may race: all succeed and one file remains.
    /// </summary>
    public Task PushAsync(Descriptor expected, Stream content, CancellationToken cancellationToken = default) =>
        PushAsync(expected, content, growing: null, cancellationToken);

    /// <summary>
    /// As <see cref="PushAsync(Descriptor, Stream, CancellationToken)"/>, telling <paramref name="growing"/> (when given)
    /// where the bytes go and how many are on disk, so it can be read while it is written, and when it is verified.
    /// </summary>
    internal async Task PushAsync(Descriptor expected, Stream content, GrowingBlob? growing, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(content);
        var final = GetPath(expected.Digest);
        if (expected.Size < 0)
        {
            throw new ContentVerificationException($"{expected.Digest} states an impossible size {expected.Size}");
        }

        if (IsPresent(final, expected.Size))
        {
            growing?.Verified(final);
            return;
        }

        Directory.CreateDirectory(TempDirectory);
        Directory.CreateDirectory(Path.GetDirectoryName(final)!);
        var temp = NewTempPath(Path.GetFileName(final));
        try
        {
            // Unbuffered when read as it grows: what the reader is told is written must be in the file.
            var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, growing is null ? FileShare.None : FileShare.Read,
                growing is null ? CopyBufferSize : 0, FileOptions.Asynchronous);
            await using (file.ConfigureAwait(false))
            {
                growing?.Started(temp);
                // Copying reads until the end, which is where the digest is checked. Content that already checks
                // itself against this descriptor (a registry's body, another store's blob) is not hashed a second
                // time: it throws on the read that passes its last byte or ends short, before anything is published.
                if (content is VerifyingStream own && own.VerifiesAllOf(expected))
                {
                    await CopyAsync(own, file, growing, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    var verifying = new VerifyingStream(content, expected, leaveOpen: true);
                    await using (verifying.ConfigureAwait(false))
                    {
                        await CopyAsync(verifying, file, growing, cancellationToken).ConfigureAwait(false);
                    }
                }

                file.Flush(flushToDisk: true);
            }

            SetMode(temp);
            Publish(temp, final, expected.Size);
            growing?.Verified(final);
        }
        finally
        {
            DeleteQuietly(temp);
        }
    }

    private static async Task CopyAsync(Stream source, FileStream file, GrowingBlob? growing, CancellationToken cancellationToken)
    {
        if (growing is null)
        {
            await source.CopyToAsync(file, CopyBufferSize, cancellationToken).ConfigureAwait(false);
            return;
        }

        var buffer = new byte[CopyBufferSize];
        long total = 0;
        int n;
        while ((n = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            await file.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
            total += n;
            growing.Wrote(total);
        }
    }

    public Task DeleteAsync(Descriptor target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        cancellationToken.ThrowIfCancellationRequested();
        var path = GetPath(target.Digest);
        if (!File.Exists(path))
        {
            throw new NotFoundException($"blob {target.Digest} not found");
        }

        File.Delete(path);
        return Task.CompletedTask;
    }

    /// <summary>Every blob held, in no particular order. Files whose names are not digests are ignored.</summary>
    public IAsyncEnumerable<BlobInfo> ListAsync(CancellationToken cancellationToken = default) =>
        Enumerate(cancellationToken).ToAsyncEnumerable();

    /// <summary>The bytes all blobs take, as their sizes add up.</summary>
    public async Task<long> GetTotalSizeAsync(CancellationToken cancellationToken = default)
    {
        long total = 0;
        await foreach (var blob in ListAsync(cancellationToken).ConfigureAwait(false))
        {
            total += blob.Size;
        }

        return total;
    }

    /// <summary>
    /// Removes unfinished writes older than <paramref name="olderThan"/>: a process that died mid-push leaves its
    /// temp file behind. Younger ones may still be in use by another writer and are kept.
    /// </summary>
    /// <returns>How many files were removed.</returns>
    public Task<int> RemoveStaleTempFilesAsync(TimeSpan olderThan, CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(TempDirectory))
        {
            return Task.FromResult(0);
        }

        var cutoff = DateTime.UtcNow - olderThan;
        var removed = 0;
        foreach (var file in new DirectoryInfo(TempDirectory).EnumerateFiles("*" + PartialSuffix))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (file.LastWriteTimeUtc < cutoff && DeleteQuietly(file.FullName))
            {
                removed++;
            }
        }

        return Task.FromResult(removed);
    }

    /// <summary>A fresh, unique path in the temp directory for a file that is about to be written.</summary>
    internal string NewTempPath(string name) => Path.Combine(TempDirectory, $"{name}.{Guid.NewGuid():N}{PartialSuffix}");

    private IEnumerable<BlobInfo> Enumerate(CancellationToken cancellationToken)
    {
        if (!Directory.Exists(BlobsDirectory))
        {
            yield break;
        }

        foreach (var algorithmDir in new DirectoryInfo(BlobsDirectory).EnumerateDirectories())
        {
            foreach (var file in algorithmDir.EnumerateFiles())
            {
                cancellationToken.ThrowIfCancellationRequested();
                var digest = algorithmDir.Name + ":" + file.Name;
                if (Digest.IsValid(digest))
                {
                    yield return new BlobInfo(digest, file.Length, file.LastWriteTimeUtc, file.FullName);
                }
            }
        }
    }

    private static bool IsPresent(string path, long size)
    {
        var info = new FileInfo(path);
        return info.Exists && info.Length == size;
    }

    private static void Publish(string temp, string final, long size)
    {
        try
        {
            // No-clobber: an existing blob keeps its inode, so hard links to it stay valid and link counts honest.
            File.Move(temp, final, overwrite: false);
        }
        catch (IOException) when (File.Exists(final))
        {
            if (IsPresent(final, size))
            {
                return; // another writer finished the same blob first; ours is discarded
            }

            // A file of the wrong size under a digest name is damage, not content: replace it.
            File.Move(temp, final, overwrite: true);
        }
    }

    private void SetMode(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, _fileMode);
        }
    }

    internal static bool DeleteQuietly(string path)
    {
        try
        {
            if (!File.Exists(path))
            {
                return false;
            }

            File.Delete(path);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}

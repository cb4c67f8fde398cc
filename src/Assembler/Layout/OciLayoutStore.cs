using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using OrasAssemble.Content;
using OrasAssemble.IO;
using OrasAssemble.Oci;
using OrasAssemble.Text;

namespace OrasAssemble.Layout;

/// <summary>
/// An OCI image layout on disk (<c>oci-layout</c>, <c>index.json</c>, <c>blobs/&lt;alg&gt;/&lt;hex&gt;</c>), usable as a
/// target like a registry repository. Every pushed manifest or index is listed in <c>index.json</c>, tagged or not,
/// so referrers can be found without a separate database. Updates to <c>index.json</c> are serialized within the
/// process and, through a lock file, across processes; each one rewrites the file atomically.
/// </summary>
/// <remarks>
/// Files of this store's own (temp files, the lock) live in the hidden directory <see cref="PrivateDirectoryName"/>
/// inside the layout, which other layout tools do not look at.
/// </remarks>
public sealed class OciLayoutStore : ITarget, IDeletable, IReferrerLister, ITagLister, IReferenceFetchable, IDisposable
{
    public const string LayoutFileName = "oci-layout";
    public const string IndexFileName = "index.json";
    public const string SupportedLayoutVersion = "1.0.0";
    public const string PrivateDirectoryName = ".oras-assemble";

    // The layout spec's oci-layout file, written exactly like this by the tools that create layouts.
    private static readonly byte[] LayoutFileContent = """{"imageLayoutVersion":"1.0.0"}"""u8.ToArray();

    private static readonly TimeSpan StaleTempAge = TimeSpan.FromHours(1);

    private readonly OciLayoutStoreOptions _options;
    private readonly BlobStore _blobs;
    private readonly string _indexPath;
    private readonly string _lockPath;
    private readonly SemaphoreSlim _indexGate = new(1, 1);

    // Manifests never change under a digest, so what they say about their subject can be kept.
    private readonly ConcurrentDictionary<string, ReferrerInfo> _manifestInfo = new(StringComparer.Ordinal);

    private OciLayoutStore(string root, OciLayoutStoreOptions options)
    {
        Root = root;
        _options = options;
        var privateDir = Path.Combine(root, PrivateDirectoryName);
        _blobs = new BlobStore(new BlobStoreOptions
        {
            Root = root,
            TempDirectory = Path.Combine(privateDir, "tmp"),
            VerifyOnFetch = options.VerifyOnFetch,
        });
        _indexPath = Path.Combine(root, IndexFileName);
        _lockPath = Path.Combine(privateDir, "lock");
    }

    /// <summary>The layout's directory.</summary>
    public string Root { get; }

    /// <summary>
    /// Opens the layout at <paramref name="path"/>, creating it when the directory is missing or empty and
    /// <see cref="OciLayoutStoreOptions.CreateIfMissing"/> allows.
    /// </summary>
    /// <exception cref="InvalidDataException">The directory is not a layout of a version this code reads.</exception>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist and may not be created.</exception>
    public static async Task<OciLayoutStore> OpenAsync(string path, OciLayoutStoreOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        options ??= new OciLayoutStoreOptions();
        options.Validate();
        var store = new OciLayoutStore(Path.GetFullPath(path), options);
        try
        {
            await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            store.Dispose();
            throw;
        }

        return store;
    }

    public Task<bool> ExistsAsync(Descriptor target, CancellationToken cancellationToken = default) =>
        _blobs.ExistsAsync(target, cancellationToken);

    public Task<Stream> FetchAsync(Descriptor target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        CheckManifestSize(target);
        return _blobs.FetchAsync(target, cancellationToken);
    }

    /// <summary>
    /// Stores a blob, or a manifest or index which is then also listed in <c>index.json</c> (untagged until
    /// <see cref="TagAsync"/>). A manifest is read whole (it is small and capped) and parsed before anything is
    /// written, so nothing that is not valid JSON of its kind gets listed.
    /// </summary>
    public async Task PushAsync(Descriptor expected, Stream content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(content);
        Digest.Validate(expected.Digest);
        if (!MediaTypes.IsManifestOrIndex(expected.MediaType))
        {
            await _blobs.PushAsync(expected, content, cancellationToken).ConfigureAwait(false);
            return;
        }

        CheckManifestSize(expected);
        var bytes = await ContentExtensions.ReadVerifiedAsync(content, expected, cancellationToken).ConfigureAwait(false);
        _manifestInfo.TryAdd(expected.Digest, ReferrerInfo.Parse(bytes, expected.MediaType, $"manifest {expected.Digest}"));
        using (var buffered = new MemoryStream(bytes, writable: false))
        {
            await _blobs.PushAsync(expected, buffered, cancellationToken).ConfigureAwait(false);
        }

        var index = await ReadIndexAsync(cancellationToken).ConfigureAwait(false);
        if (!index.Contains(expected.Digest))
        {
            await UpdateIndexAsync(i => i.Record(expected), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Resolves a tag (any <c>org.opencontainers.image.ref.name</c> in <c>index.json</c>, including full references
    /// other tools write) or a digest. A digest not listed in <c>index.json</c> still resolves when its blob is a
    /// manifest or index, e.g. one platform's manifest of a listed index.
    /// </summary>
    public async Task<Descriptor> ResolveAsync(string reference, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(reference);
        var index = await ReadIndexAsync(cancellationToken).ConfigureAwait(false);
        if (Digest.IsValid(reference))
        {
            var listed = index.Entries.FirstOrDefault(e => e.Digest == reference);
            return listed is not null
                ? LayoutIndex.WithoutRefName(listed)
                : await DescribeUnlistedAsync(reference, cancellationToken).ConfigureAwait(false);
        }

        var tagged = index.Entries.FirstOrDefault(e => LayoutIndex.RefName(e) == reference);
        return tagged is not null
            ? LayoutIndex.WithoutRefName(tagged)
            : throw new NotFoundException($"tag {QuotedValue.Of(reference)} not found in OCI layout {Root}");
    }

    public async Task<(Descriptor Descriptor, Stream Content)> FetchAsync(string reference, CancellationToken cancellationToken = default)
    {
        var descriptor = await ResolveAsync(reference, cancellationToken).ConfigureAwait(false);
        return (descriptor, await FetchAsync(descriptor, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Adds the tag to the descriptor's entry in <c>index.json</c>, moving it off any other entry.</summary>
    /// <exception cref="ArgumentException">The tag does not follow the OCI tag grammar.</exception>
    /// <exception cref="NotFoundException">The content is not in the layout.</exception>
    public async Task TagAsync(Descriptor descriptor, string reference, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        TagName.Validate(reference);
        if (!await _blobs.ExistsAsync(descriptor, cancellationToken).ConfigureAwait(false))
        {
            throw new NotFoundException($"cannot tag {descriptor.Digest} as {QuotedValue.Of(reference)}: it is not in OCI layout {Root}");
        }

        await UpdateIndexAsync(i => i.Tag(descriptor, reference), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes the content and every <c>index.json</c> entry (tags included) that lists it.</summary>
    public async Task DeleteAsync(Descriptor target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        Digest.Validate(target.Digest);
        var listed = false;
        await UpdateIndexAsync(i => listed = i.Remove(target.Digest), cancellationToken).ConfigureAwait(false);
        _manifestInfo.TryRemove(target.Digest, out _);
        try
        {
            await _blobs.DeleteAsync(target, cancellationToken).ConfigureAwait(false);
        }
        catch (NotFoundException) when (listed)
        {
            // The entry pointed at a blob that was already missing; removing the entry was the whole job.
        }
    }

    /// <summary>
    /// The manifests listed in <c>index.json</c> whose <c>subject</c> is <paramref name="subject"/>, optionally only
    /// those of one artifact type, in digest order. Listed manifests whose blobs are missing are skipped.
    /// </summary>
    public async IAsyncEnumerable<Descriptor> FetchReferrersAsync(Descriptor subject, string? artifactType = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subject);
        var index = await ReadIndexAsync(cancellationToken).ConfigureAwait(false);
        var candidates = index.Entries
            .Where(e => MediaTypes.IsManifestOrIndex(e.MediaType) && e.Digest != subject.Digest)
            .DistinctBy(e => e.Digest)
            .OrderBy(e => e.Digest, StringComparer.Ordinal);
        foreach (var entry in candidates)
        {
            var info = await GetManifestInfoAsync(entry, cancellationToken).ConfigureAwait(false);
            if (info is not null && info.Refers(subject, artifactType))
            {
                yield return info.Describe(entry);
            }
        }
    }

    /// <summary>Every tag in <c>index.json</c>, in ordinal order, starting after <paramref name="last"/> when given.</summary>
    public async IAsyncEnumerable<string> ListTagsAsync(string? last = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var index = await ReadIndexAsync(cancellationToken).ConfigureAwait(false);
        var tags = index.Entries
            .Select(LayoutIndex.RefName)
            .OfType<string>()
            .Distinct(StringComparer.Ordinal)
            .Where(t => last is null || string.CompareOrdinal(t, last) > 0)
            .Order(StringComparer.Ordinal);
        foreach (var tag in tags)
        {
            yield return tag;
        }
    }

    public void Dispose() => _indexGate.Dispose();

    private async Task InitializeAsync(CancellationToken cancellationToken)
    {
        var layoutFile = Path.Combine(Root, LayoutFileName);
        if (!File.Exists(layoutFile))
        {
            await CreateAsync(cancellationToken).ConfigureAwait(false);
        }

        await CheckLayoutFileAsync(layoutFile, cancellationToken).ConfigureAwait(false);
        try
        {
            await _blobs.RemoveStaleTempFilesAsync(StaleTempAge, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Leftovers of a crashed writer are untidy, not harmful; a layout we may only read must still open.
        }
    }

    private async Task CreateAsync(CancellationToken cancellationToken)
    {
        if (!Directory.Exists(Root))
        {
            if (!_options.CreateIfMissing)
            {
                throw new DirectoryNotFoundException($"OCI layout {Root} does not exist");
            }

            Directory.CreateDirectory(Root);
        }

        // Never turn an unrelated directory into a layout; what is allowed here is what a crashed creation leaves.
        var foreign = Directory.EnumerateFileSystemEntries(Root)
            .Select(Path.GetFileName)
            .Where(n => n is not ("blobs" or IndexFileName or PrivateDirectoryName))
            .ToList();
        if (foreign.Count > 0 || !_options.CreateIfMissing)
        {
            throw new InvalidDataException(
                $"{Root} is not an OCI image layout: it has no {LayoutFileName} file"
                + (foreign.Count > 0 ? $" (and holds {string.Join(", ", foreign.Take(5))})" : ""));
        }

        await WithIndexLockAsync(
            async () =>
            {
                if (File.Exists(Path.Combine(Root, LayoutFileName)))
                {
                    return; // another process created it while we waited for the lock
                }

                Directory.CreateDirectory(_blobs.BlobsDirectory);
                if (!File.Exists(_indexPath))
                {
                    await WriteAtomicallyAsync(_indexPath, LayoutIndex.CreateEmpty().Serialize(), cancellationToken).ConfigureAwait(false);
                }

                // Written last: its presence is what marks the directory as a complete layout.
                await WriteAtomicallyAsync(Path.Combine(Root, LayoutFileName), LayoutFileContent, cancellationToken).ConfigureAwait(false);
            },
            cancellationToken).ConfigureAwait(false);
    }

    private static async Task CheckLayoutFileAsync(string layoutFile, CancellationToken cancellationToken)
    {
        var content = await File.ReadAllBytesAsync(layoutFile, cancellationToken).ConfigureAwait(false);
        string? version;
        try
        {
            using var doc = JsonDocument.Parse(content);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"{layoutFile} must be a JSON object with \"imageLayoutVersion\"");
            }

            version = doc.RootElement.TryGetProperty("imageLayoutVersion", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{layoutFile} is not valid JSON: {e.Message}", e);
        }

        if (version is null)
        {
            throw new InvalidDataException($"{layoutFile} has no \"imageLayoutVersion\" string");
        }

        if (version != SupportedLayoutVersion)
        {
            throw new InvalidDataException(
                $"{layoutFile} declares imageLayoutVersion {QuotedValue.Of(version)}; only \"{SupportedLayoutVersion}\" layouts are supported");
        }
    }

    private void CheckManifestSize(Descriptor descriptor)
    {
        if (MediaTypes.IsManifestOrIndex(descriptor.MediaType) && descriptor.Size > _options.MaxManifestBytes)
        {
            throw new SizeLimitExceededException(
                $"manifest {descriptor.Digest} is {descriptor.Size} bytes, over the limit of {_options.MaxManifestBytes}");
        }
    }

    // index.json is small and replaced by rename, so every read sees one complete version; reading it each time
    // keeps this instance in step with other processes without any cache invalidation.
    private async Task<LayoutIndex> ReadIndexAsync(CancellationToken cancellationToken)
    {
        byte[] content;
        try
        {
            content = await File.ReadAllBytesAsync(_indexPath, cancellationToken).ConfigureAwait(false);
        }
        catch (FileNotFoundException)
        {
            // The spec requires index.json, but an empty layout missing it means nothing but "no manifests".
            return LayoutIndex.CreateEmpty();
        }

        return LayoutIndex.Parse(content, _indexPath);
    }

    private Task UpdateIndexAsync(Func<LayoutIndex, bool> change, CancellationToken cancellationToken) =>
        WithIndexLockAsync(
            async () =>
            {
                // Read under the lock: another process may have changed the file since we last looked.
                var index = await ReadIndexAsync(cancellationToken).ConfigureAwait(false);
                if (change(index))
                {
                    await WriteAtomicallyAsync(_indexPath, index.Serialize(), cancellationToken).ConfigureAwait(false);
                }
            },
            cancellationToken);

    private async Task WithIndexLockAsync(Func<Task> action, CancellationToken cancellationToken)
    {
        await _indexGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_lockPath)!);
            using var fileLock = await FileLock.AcquireAsync(_lockPath, _options.LockTimeout, "updating the layout", cancellationToken).ConfigureAwait(false);
            await action().ConfigureAwait(false);
        }
        finally
        {
            _indexGate.Release();
        }
    }

    // Written beside the layout's blob writes, where leftovers of a dead process are cleared.
    private Task WriteAtomicallyAsync(string path, byte[] content, CancellationToken cancellationToken) =>
        AtomicFile.WriteAsync(path, content, tempDirectory: Directory.CreateDirectory(_blobs.TempDirectory).FullName, cancellationToken: cancellationToken);

    /// <summary>Describes a manifest that is in the blobs but not listed in <c>index.json</c>.</summary>
    private async Task<Descriptor> DescribeUnlistedAsync(string digest, CancellationToken cancellationToken)
    {
        var info = new FileInfo(_blobs.GetPath(digest));
        if (!info.Exists)
        {
            throw new NotFoundException($"{digest} not found in OCI layout {Root}");
        }

        if (info.Length > _options.MaxManifestBytes)
        {
            throw new NotFoundException($"{digest} in OCI layout {Root} is {info.Length} bytes, too large to be a manifest");
        }

        var probe = new Descriptor { MediaType = "application/octet-stream", Digest = digest, Size = info.Length };
        var bytes = await _blobs.FetchAllAsync(probe, _options.MaxManifestBytes, cancellationToken).ConfigureAwait(false);
        var mediaType = OciJson.PeekMediaType(bytes) ?? InferManifestType(bytes);
        return MediaTypes.IsManifestOrIndex(mediaType)
            ? probe with { MediaType = mediaType! }
            : throw new NotFoundException($"{digest} in OCI layout {Root} is a blob, not a manifest or index");
    }

    // Old Docker-era manifests may omit mediaType; their shape tells which kind they are.
    private static string? InferManifestType(byte[] content)
    {
        try
        {
            using var doc = JsonDocument.Parse(content);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            return root.TryGetProperty("manifests", out _) ? MediaTypes.ImageIndex
                : root.TryGetProperty("config", out _) ? MediaTypes.ImageManifest
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private async Task<ReferrerInfo?> GetManifestInfoAsync(Descriptor entry, CancellationToken cancellationToken)
    {
        if (_manifestInfo.TryGetValue(entry.Digest, out var known))
        {
            return known;
        }

        byte[] bytes;
        try
        {
            bytes = await _blobs.FetchAllAsync(entry.Basic(), _options.MaxManifestBytes, cancellationToken).ConfigureAwait(false);
        }
        catch (NotFoundException)
        {
            return null; // the layout spec lets a layout lack blobs it lists
        }

        return _manifestInfo.GetOrAdd(entry.Digest, ReferrerInfo.Parse(bytes, entry.MediaType, $"manifest {entry.Digest} in {Root}"));
    }
}

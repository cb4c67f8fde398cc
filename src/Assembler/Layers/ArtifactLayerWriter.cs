using System.Runtime.Versioning;
using OrasAssemble.Oci;

namespace OrasAssemble.Layers;

/// <summary>
/// Writes the layers of plain ORAS artifacts, as the <c>oras</c> CLI pushes them: a file layer is one blob named by
/// its <c>org.opencontainers.image.title</c>, written to <c>&lt;target&gt;/&lt;title&gt;</c>; a directory layer
/// (<c>io.deis.oras.content.unpack: "true"</c>) is a tar+gzip whose entries all lie under the directory the title
/// names, unpacked with the same rules as <see cref="LayerApplier"/> except that ".wh." names are ordinary files
/// and every entry and link must stay inside that directory.
/// </summary>
/// <remarks>
/// A title may name a nested path ("conf/app.properties"); it must not be empty, absolute, contain a ".", ".." or
/// empty segment, or a NUL. A file gets owner 0:0, mode 0644 and the Unix epoch as its time, since the artifact records
/// none of them; a directory layer's entries keep the tar's owners, as <see cref="LayerApplier"/> keeps them.
/// As with <see cref="LayerApplier"/>, after an exception the target directory must be discarded.
/// </remarks>
public sealed class ArtifactLayerWriter
{
    // Octal 0644: C# has no octal literals, binary keeps the rwx groups visible.
    private const UnixFileMode OrasFileMode = (UnixFileMode)0b110_100_100;

    private readonly ExtractionLimits _limits;
    private readonly TreeBudget? _budget;
    private readonly bool _mayChown;

    public ArtifactLayerWriter(ExtractionLimits? limits = null)
        : this(limits ?? ExtractionLimits.Default, null, Environment.IsPrivilegedProcess)
    {
    }

    /// <summary>Writes layers that share one tree's budget (when given): each layer may write what the ones before it left.</summary>
    /// <param name="mayChown">Whether to set owners; a process that is not privileged cannot.</param>
    internal ArtifactLayerWriter(ExtractionLimits limits, TreeBudget? budget, bool mayChown)
    {
        _limits = limits;
        _limits.Validate();
        _budget = budget;
        _mayChown = mayChown;
    }

    /// <summary>Whether ORAS packed this layer from a directory, to be unpacked rather than written as one file.</summary>
    public static bool IsPackedDirectory(Descriptor layer) =>
        layer.Annotations is not null
        && layer.Annotations.TryGetValue(Annotations.Unpack, out var unpack)
        && string.Equals(unpack, "true", StringComparison.OrdinalIgnoreCase);

    /// <exception cref="UnsafeLayerException">A bad title, an entry outside the title's directory, or any refusal of <see cref="LayerApplier"/>.</exception>
    /// <exception cref="InvalidLayerException">No title, content that does not match the descriptor's size or the unpack digest, corrupt data.</exception>
    /// <exception cref="UnsupportedLayerException">A directory layer compressed with zstd, bzip2 or xz.</exception>
    public async Task<ExtractionSummary> WriteAsync(
        Descriptor layer, Stream content, string targetDirectory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(content);
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("layers are written on Unix file systems only");
        }

        var root = ConfinedTree.CheckRoot(targetDirectory);
        var title = TitlePath(layer);
        var tree = new TreeWriter(root, layer.Digest, _limits, _budget ?? TreeBudget.For(_limits), scope: title, absoluteSymlinks: false, new Ownership(_mayChown));
        var summary = IsPackedDirectory(layer)
            ? await UnpackAsync(layer, content, tree, title, cancellationToken).ConfigureAwait(false)
            : await WriteFileAsync(layer, content, tree, title, cancellationToken).ConfigureAwait(false);
        tree.Finish();
        return summary;
    }

    /// <summary>
    /// Places a file layer whose blob is already on disk (in the cache's blob store, on the same file system) by
    /// hard-linking it, so the bytes are stored once however many trees hold them; a blob whose owner or mode is not
    /// the file's (0:0, 0644) is copied instead, since changing them would change every tree that links it.
    /// </summary>
    /// <exception cref="UnsafeLayerException">A bad title, or a copy over the limits.</exception>
    /// <exception cref="InvalidLayerException">No title, or a packed directory, which must be unpacked instead.</exception>
    public async Task<ExtractionSummary> LinkFileAsync(Descriptor layer, string blobPath, string targetDirectory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("layers are written on Unix file systems only");
        }

        if (IsPackedDirectory(layer))
        {
            throw new InvalidLayerException(layer.Digest, layer.Title, "a packed directory is unpacked, not linked");
        }

        var root = ConfinedTree.CheckRoot(targetDirectory);
        var title = TitlePath(layer);
        var tree = new TreeWriter(root, layer.Digest, _limits, _budget ?? TreeBudget.For(_limits), scope: title, absoluteSymlinks: false, new Ownership(_mayChown));
        tree.CountEntry(layer.Title!);
        await tree.LinkFileAsync(
            layer.Title!, title, blobPath, layer.Size, Ownership.Root, OrasFileMode, ConfinedTree.FixedTime, cancellationToken)
            .ConfigureAwait(false);
        tree.Finish();
        return new ExtractionSummary(1, tree.FileBytes, 0, 0, 0, tree.OwnersNotKept);
    }

    [UnsupportedOSPlatform("windows")]
    private async Task<ExtractionSummary> WriteFileAsync(
        Descriptor layer, Stream content, TreeWriter tree, string[] title, CancellationToken cancellationToken)
    {
        var name = layer.Title!;
        if (layer.Size > _limits.MaxTotalBytes)
        {
            throw new UnsafeLayerException(layer.Digest, name, $"the file is {layer.Size} bytes, over the limit of {_limits.MaxTotalBytes} bytes per layer");
        }

        tree.CountEntry(name);
        var bounded = new BoundedReadStream(content, layer.Digest, _limits.MaxTotalBytes) { CurrentEntry = name };
        await tree.WriteFileAsync(name, title, bounded, layer.Size, Ownership.Root, OrasFileMode, ConfinedTree.FixedTime, cancellationToken)
            .ConfigureAwait(false);
        if (bounded.BytesRead != layer.Size)
        {
            throw new InvalidLayerException(layer.Digest, name, $"the content is {bounded.BytesRead} bytes, but the descriptor says {layer.Size}");
        }

        return new ExtractionSummary(1, tree.FileBytes, bounded.BytesRead, 0, 0, tree.OwnersNotKept);
    }

    [UnsupportedOSPlatform("windows")]
    private async Task<ExtractionSummary> UnpackAsync(
        Descriptor layer, Stream content, TreeWriter tree, string[] title, CancellationToken cancellationToken)
    {
        // ORAS records the digest of the tar inside the gzip; when it is there, the unpacked bytes must match it.
        string? expected = null;
        if (layer.Annotations!.TryGetValue(Annotations.UnpackDigest, out var annotated))
        {
            expected = Digest.IsValid(annotated)
                ? annotated
                : throw new InvalidLayerException(layer.Digest, null, $"the {Annotations.UnpackDigest} annotation \"{LayerException.Printable(annotated)}\" is not a valid digest");
        }

        using var hash = expected is null ? null : Digest.CreateHash(expected);
        var decompressed = await LayerDecompression.OpenAsync(layer, content, cancellationToken).ConfigureAwait(false);
        await using (decompressed.ConfigureAwait(false))
        {
            var archive = new BoundedReadStream(decompressed, layer.Digest, _limits.MaxTotalBytes, hash);
            var extractor = new TarExtractor(tree, archive, layer.Digest, _limits, whiteouts: false, title);
            var entries = await extractor.ExtractAsync(cancellationToken).ConfigureAwait(false);
            if (expected is not null)
            {
                var actual = Digest.Format(Digest.Algorithm(expected), hash!.GetHashAndReset());
                if (!string.Equals(actual, expected, StringComparison.Ordinal))
                {
                    throw new InvalidLayerException(layer.Digest, null, $"the unpacked tar has digest {actual}, but the {Annotations.UnpackDigest} annotation says {expected}");
                }
            }

            return new ExtractionSummary(
                entries, tree.FileBytes, archive.BytesRead, tree.SetuidBitsStripped, extractor.SkippedSpecialFiles, tree.OwnersNotKept);
        }
    }

    /// <summary>
    /// The components of the path the layer's title names, checked exactly as <see cref="WriteAsync"/> checks them, so
    /// a caller can refuse a bad title before fetching anything.
    /// </summary>
    /// <exception cref="UnsafeLayerException">
    /// The title is empty, absolute, has a ".", ".." or empty segment ("a/./b", "a//b", "a/"), or breaks a length limit.
    /// </exception>
    /// <exception cref="InvalidLayerException">The layer has no title.</exception>
    public string[] TitlePath(Descriptor layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        var title = layer.Title;
        if (title is null)
        {
            throw new InvalidLayerException(layer.Digest, null, $"the layer has no {Annotations.Title} annotation, so it names no file");
        }

        var shown = $"the title \"{LayerException.Printable(title)}\"";
        if (title.StartsWith('/'))
        {
            throw new UnsafeLayerException(layer.Digest, null, $"{shown} is an absolute path");
        }

        var components = EntryPath.Normalize(title, shown, _limits, out var reason)
            ?? throw new UnsafeLayerException(layer.Digest, null, reason);
        if (components.Length == 0)
        {
            throw new UnsafeLayerException(layer.Digest, null, $"{shown} names no file");
        }

        // A tar entry's "./a" or "a//b" is tar's habit; a title is a name someone wrote, and the spec gives it one
        // spelling, so two titles are the same file exactly when they are the same text.
        var segments = title.Split('/');
        if (segments.Contains("."))
        {
            throw new UnsafeLayerException(layer.Digest, null, $"{shown} has a \".\" segment");
        }

        return segments.Contains("")
            ? throw new UnsafeLayerException(layer.Digest, null, $"{shown} has an empty segment")
            : components;
    }
}

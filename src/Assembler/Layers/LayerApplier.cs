using OrasAssemble.Oci;

namespace OrasAssemble.Layers;

/// <summary>
/// Applies container image layers (tar or tar+gzip) to a directory with the OCI image-spec's changeset rules:
/// entries in tar order, a later entry replacing an earlier one (a directory over a directory merges),
/// <c>.wh.name</c> deleting what lower layers left at <c>name</c>, and <c>.wh..wh..opq</c> clearing a
/// directory of lower contents; neither whiteout touches what the same layer wrote.
/// </summary>
/// <remarks>
/// <para>On disk: permission and sticky bits as in the tar (setuid/setgid only with
/// <see cref="ExtractionLimits.AllowSetuid"/>); modification times of files, directories and links as in the tar
/// (times before 1970 become 1970), parent directories the tar does not list get the Unix epoch, and directories a
/// layer changes without listing keep their time. So the same layers give the same tree. Owners and groups (numeric
/// uid and gid) are as in the tar, links' own included, when the process is privileged (implicit parents are 0:0);
/// otherwise everything belongs to the extracting user and the summary says owners were not kept. Extended
/// attributes (file capabilities among them) and ACLs are not applied.
/// The target directory's own mode and time are left alone. Directory modes are set when a layer is done, so a
/// read-only directory does not stop its own layer; a later layer writing into it needs root (as the node plugin runs).</para>
/// <para>Names: a leading "/" or "./" is dropped; a ".." component is refused. Nothing is ever written through
/// a symbolic link, and links and hard links that could lead out of the directory are refused, as is anything over
/// the <see cref="ExtractionLimits"/>; see <see cref="UnsafeLayerException"/>. Device nodes and FIFOs are left out
/// (what lower layers had at their path is removed), and counted in the summary.</para>
/// <para>On any exception the directory is in an undefined state: extract into a directory of your own, apply
/// the layers, and only then publish it (rename); on failure delete it. Content is read to its end but not
/// verified here: pass a verifying stream or a verified blob. One instance may serve concurrent applies to
/// different directories.</para>
/// </remarks>
internal sealed class LayerApplier
{
    private readonly ExtractionLimits _limits;
    private readonly TreeBudget? _budget;
    private readonly bool _mayChown;

    public LayerApplier(ExtractionLimits? limits = null)
        : this(limits ?? ExtractionLimits.Default, null, Environment.IsPrivilegedProcess)
    {
    }

    /// <summary>Applies layers that share one tree's budget (when given): each layer may write what the ones before it left.</summary>
    /// <param name="mayChown">Whether to set the tar's owners; a process that is not privileged cannot.</param>
    internal LayerApplier(ExtractionLimits limits, TreeBudget? budget, bool mayChown)
    {
        _limits = limits;
        _limits.Validate();
        _budget = budget;
        _mayChown = mayChown;
    }

    /// <summary>Applies one layer on top of what <paramref name="targetDirectory"/> holds; call once per layer, lowest first.</summary>
    /// <exception cref="UnsafeLayerException">An entry was refused; the message names the layer, the entry and why.</exception>
    /// <exception cref="UnsupportedLayerException">zstd, bzip2 or xz compression, or an entry type not handled.</exception>
    /// <exception cref="InvalidLayerException">Corrupt gzip or tar data, or entries that contradict each other.</exception>
    public async Task<ExtractionSummary> ApplyAsync(
        Descriptor layer, Stream content, string targetDirectory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(content);
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("layers are applied on Unix file systems only");
        }

        var root = ConfinedTree.CheckRoot(targetDirectory);
        var tree = new TreeWriter(root, layer.Digest, _limits, _budget ?? TreeBudget.For(_limits), scope: [], _limits.RewriteAbsoluteSymlinks, new Ownership(_mayChown));
        var decompressed = await LayerDecompression.OpenAsync(layer, content, cancellationToken).ConfigureAwait(false);
        await using (decompressed.ConfigureAwait(false))
        {
            var archive = new BoundedReadStream(decompressed, layer.Digest, _limits.MaxTotalBytes);
            var extractor = new TarExtractor(tree, archive, layer.Digest, _limits, whiteouts: true, scope: []);
            var entries = await extractor.ExtractAsync(cancellationToken).ConfigureAwait(false);
            tree.Finish();
            return new ExtractionSummary(
                entries, tree.FileBytes, archive.BytesRead, tree.SetuidBitsStripped, extractor.SkippedSpecialFiles, tree.OwnersNotKept);
        }
    }
}

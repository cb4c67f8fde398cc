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
    /// <exception cref="UnsupportedLayerException">bzip2 or xz compression, or an entry type not handled.</exception>
    /// <exception cref="InvalidLayerException">Corrupt gzip, zstd or tar data, or entries that contradict each other.</exception>
    public async Task<ExtractionSummary> ApplyAsync(
        Descriptor layer, Stream content, string targetDirectory, CancellationToken cancellationToken = default)
    {
        CheckArguments(layer, content);
        if (OperatingSystem.IsWindows())
        {
            throw NotOnWindows();
        }

        var owners = new Ownership(_mayChown);
        var tree = Writer(targetDirectory, layer, owners);
        var read = await ReadAsync(layer, content, tree, cancellationToken).ConfigureAwait(false);
        tree.Finish();
        return new ExtractionSummary(read.Entries, tree.FileBytes, read.ArchiveBytes, tree.SetuidBitsStripped, read.SkippedSpecialFiles, owners.NotKept);
    }

    /// <summary>
    /// Reads one layer before its turn, while the layers below it are applied: its file data is written into
    /// <paramref name="asideDirectory"/> (empty, on the target's file system, the caller's alone), its other entries
    /// kept in order; <see cref="StagedLayer.ApplyTo"/> then applies it in its turn, with the same result and the same
    /// failures as <see cref="ApplyAsync"/>. Errors the tar alone shows (corrupt data, a name, a size, the budget) are
    /// thrown here, the others there.
    /// </summary>
    public async Task<StagedLayer> StageAsync(
        Descriptor layer, Stream content, string asideDirectory, CancellationToken cancellationToken = default)
    {
        CheckArguments(layer, content);
        if (OperatingSystem.IsWindows())
        {
            throw NotOnWindows();
        }

        var owners = new Ownership(_mayChown);
        var journal = new LayerJournal(ConfinedTree.CheckRoot(asideDirectory), layer.Digest, _limits, _budget ?? TreeBudget.For(_limits), owners);
        var read = await ReadAsync(layer, content, journal, cancellationToken).ConfigureAwait(false);
        return new StagedLayer(this, layer, journal, owners, read);
    }

    private static void CheckArguments(Descriptor layer, Stream content)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(content);
    }

    private static PlatformNotSupportedException NotOnWindows() => new("layers are applied on Unix file systems only");

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private TreeWriter Writer(string targetDirectory, Descriptor layer, Ownership owners) =>
        new(ConfinedTree.CheckRoot(targetDirectory), layer.Digest, _limits, _budget ?? TreeBudget.For(_limits), scope: [], _limits.RewriteAbsoluteSymlinks, owners);

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private async Task<TarRead> ReadAsync(Descriptor layer, Stream content, ILayerChanges changes, CancellationToken cancellationToken)
    {
        // Decompression reads ahead on a thread of its own, so it and the writing of the files take a core each.
        var decompressed = new ReadAheadStream(await LayerDecompression.OpenAsync(layer, content, cancellationToken).ConfigureAwait(false));
        await using (decompressed.ConfigureAwait(false))
        {
            var archive = new BoundedReadStream(decompressed, layer.Digest, _limits.MaxTotalBytes);
            var extractor = new TarExtractor(changes, archive, layer.Digest, _limits, whiteouts: true, scope: []);
            var entries = await extractor.ExtractAsync(cancellationToken).ConfigureAwait(false);
            return new TarRead(entries, archive.BytesRead, extractor.SkippedSpecialFiles);
        }
    }

    internal readonly record struct TarRead(long Entries, long ArchiveBytes, long SkippedSpecialFiles);

    /// <summary>A layer read before its turn (<see cref="StageAsync"/>): its files written aside, its changes kept.</summary>
    internal sealed class StagedLayer
    {
        private readonly LayerApplier _applier;
        // Made only by StageAsync, which runs on Unix alone.
#pragma warning disable CA1416
        private readonly LayerJournal _journal;
        private readonly Ownership _owners;
#pragma warning restore CA1416
        private readonly TarRead _read;
        private bool _applied;

        internal StagedLayer(LayerApplier applier, Descriptor layer, LayerJournal journal, Ownership owners, TarRead read)
        {
            _applier = applier;
            Layer = layer;
            _journal = journal;
            _owners = owners;
            _read = read;
        }

        public Descriptor Layer { get; }

        /// <summary>Applies the layer on top of what <paramref name="targetDirectory"/> holds; once, in the layer's turn.</summary>
        /// <exception cref="UnsafeLayerException">An entry was refused; the message names the layer, the entry and why.</exception>
        /// <exception cref="InvalidLayerException">Entries that contradict what the tree holds.</exception>
        public ExtractionSummary ApplyTo(string targetDirectory, CancellationToken cancellationToken = default)
        {
            if (_applied)
            {
                throw new InvalidOperationException($"layer {Layer.Digest} was applied already");
            }

            if (OperatingSystem.IsWindows())
            {
                throw NotOnWindows();
            }

            _applied = true;
            var tree = _applier.Writer(targetDirectory, Layer, _owners);
            _journal.ApplyTo(tree, cancellationToken);
            return new ExtractionSummary(
                _read.Entries, tree.FileBytes, _read.ArchiveBytes, _journal.SetuidBitsStripped, _read.SkippedSpecialFiles, _owners.NotKept);
        }
    }
}

using OrasAssemble.Oci;

namespace OrasAssemble.Content;

/// <summary>How <see cref="Copier"/> copies a graph of content.</summary>
internal sealed record CopyOptions
{
    /// <summary>How many fetches, pushes and existence checks may run at once across the whole graph.</summary>
    public int Concurrency { get; init; } = 3;

    /// <summary>
    /// Also copy the referrers (signatures, SBOMs, later revisions) of every manifest copied, recursively, when
    /// the source can list them.
    /// </summary>
    public bool IncludeReferrers { get; init; }

    /// <summary>
    /// For <see cref="Copier.CopyAsync"/>: copy only the manifest for this platform out of an index (nested indexes
    /// are followed), and tag that manifest at the destination. A manifest that is not in an index must be of this
    /// platform. <see cref="Copier.CopyGraphAsync"/> copies the root it is given and ignores this.
    /// </summary>
    public Platform? Platform { get; init; }

    /// <summary>Largest manifest, index or image config read to find what a node references.</summary>
    public long MaxManifestBytes { get; init; } = OciLimits.MaxManifestBytes;

    /// <summary>Called after a node was copied. May be called from several threads at once.</summary>
    public Action<Descriptor>? OnCopied { get; init; }

    /// <summary>
    /// Called for a node the destination already had; what it references is then not visited. May be called from
    /// several threads at once.
    /// </summary>
    public Action<Descriptor>? OnSkipped { get; init; }

    internal void Validate()
    {
        if (Concurrency < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Concurrency), Concurrency, "Concurrency must be at least 1");
        }

        if (MaxManifestBytes <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxManifestBytes), MaxManifestBytes, "MaxManifestBytes must be positive");
        }
    }
}

using OrasAssemble.Oci;

namespace OrasAssemble.Layout;

/// <summary>How an <see cref="OciLayoutStore"/> opens and guards its directory.</summary>
public sealed record OciLayoutStoreOptions
{
    /// <summary>Create the layout when the directory is missing or empty. Off: the layout must already exist.</summary>
    public bool CreateIfMissing { get; init; } = true;

    /// <summary>Largest manifest or index the store reads or accepts, since their bytes are parsed in memory.</summary>
    public long MaxManifestBytes { get; init; } = OciLimits.MaxManifestBytes;

    /// <summary>
    /// Hash blobs again when they are read. On by default because other tools write into layouts too, and
    /// their blobs were never verified by this store.
    /// </summary>
    public bool VerifyOnFetch { get; init; } = true;

    /// <summary>How long an update waits for another process that holds the layout's lock before giving up.</summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromSeconds(30);

    internal void Validate()
    {
        if (MaxManifestBytes <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxManifestBytes), MaxManifestBytes, "MaxManifestBytes must be positive");
        }

        if (LockTimeout < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(LockTimeout), LockTimeout, "LockTimeout must not be negative");
        }
    }
}

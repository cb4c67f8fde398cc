namespace OrasAssemble.Content;

/// <summary>Where a <see cref="BlobStore"/> keeps its files.</summary>
public sealed record BlobStoreOptions
{
    /// <summary>The directory that holds <c>blobs/&lt;algorithm&gt;/&lt;hex&gt;</c>.</summary>
    public required string Root { get; init; }

    /// <summary>
    /// Where blobs are written before they are renamed into place. It must be on the same filesystem as
    /// <see cref="Root"/> so the rename is atomic; the default is <c>&lt;Root&gt;/tmp</c>.
    /// </summary>
    public string? TempDirectory { get; init; }

    /// <summary>
    /// Whether <see cref="BlobStore.FetchAsync"/> hashes the file again while it is read. Off by default: every
    /// blob this store holds was verified before it was renamed into place and is read-only, so a second
    /// hash would only cost CPU on every mount. Turn it on for directories other programs write to.
    /// </summary>
    public bool VerifyOnFetch { get; init; }

    /// <summary>
    /// The permission bits of every blob file: read-only by default. A cache whose trees hard-link blobs as files
    /// sets the mode those files must have in a tree (0644), since links share the blob's bits.
    /// </summary>
    public UnixFileMode FileMode { get; init; } = UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
}

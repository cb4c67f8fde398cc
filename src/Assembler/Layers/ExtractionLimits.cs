namespace OrasAssemble.Layers;

/// <summary>
/// Bounds on what one layer may put on disk. Every bound is checked while the layer streams, so a layer that
/// breaks one is stopped at that point rather than after it has been written out.
/// </summary>
public sealed record ExtractionLimits
{
    /// <summary>Decompressed bytes one layer may stream (tar headers, padding and file data together).</summary>
    public long MaxTotalBytes { get; init; } = 8L * 1024 * 1024 * 1024;

    /// <summary>Bytes one regular file may hold.</summary>
    public long MaxFileBytes { get; init; } = 4L * 1024 * 1024 * 1024;

    /// <summary>Tar entries one layer may hold, whiteouts and directories included.</summary>
    public int MaxEntries { get; init; } = 1_000_000;

    /// <summary>UTF-8 bytes of an entry name or link target.</summary>
    public int MaxPathLength { get; init; } = 4096;

    /// <summary>Components of an entry name.</summary>
    public int MaxDepth { get; init; } = 256;

    /// <summary>
    /// Header bytes (pax records, GNU long names, padding) between two entries. The tar reader holds these in
    /// memory, so they get a bound of their own, far below <see cref="MaxTotalBytes"/>.
    /// </summary>
    public int MaxHeaderBytes { get; init; } = 1024 * 1024;

    /// <summary>Keep setuid and setgid bits. Off: the bits are removed and the rest of the mode is kept.</summary>
    public bool AllowSetuid { get; init; }

    /// <summary>
    /// Image layers only: an absolute symbolic link target (<c>/bin/busybox</c>) means that path inside the image,
    /// so it is rewritten to the relative target that names the same entry in the tree. Off: such links are refused.
    /// Either way no link ever points at the host's file system.
    /// </summary>
    public bool RewriteAbsoluteSymlinks { get; init; } = true;

    public static ExtractionLimits Default { get; } = new();

    /// <summary>Throws when a bound is not positive, naming it.</summary>
    public void Validate()
    {
        Positive(MaxTotalBytes, nameof(MaxTotalBytes));
        Positive(MaxFileBytes, nameof(MaxFileBytes));
        Positive(MaxEntries, nameof(MaxEntries));
        Positive(MaxPathLength, nameof(MaxPathLength));
        Positive(MaxDepth, nameof(MaxDepth));
        Positive(MaxHeaderBytes, nameof(MaxHeaderBytes));
    }

    private static void Positive(long value, string name)
    {
        if (value <= 0)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive");
        }
    }
}

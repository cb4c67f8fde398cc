namespace OrasAssemble.Packing;

/// <summary>How a folder is written into a tar layer when it holds links or entries that are not files.</summary>
public sealed record FolderPackOptions
{
    /// <summary>What <c>pack</c> does: links must stay inside the folder, and a FIFO, socket or device is an error.</summary>
    public static FolderPackOptions Strict { get; } = new();

    /// <summary>
    /// What a workflow output gets: a program's results are kept as it left them, so every link is stored as it is
    /// (never followed, wherever it points) and FIFOs, sockets and devices are left out and listed.
    /// </summary>
    public static FolderPackOptions KeepAsLeft { get; } = new() { KeepAnyLink = true, SkipSpecialFiles = true };

    /// <summary>Store absolute links and links that leave the folder as they are, instead of refusing them.</summary>
    public bool KeepAnyLink { get; init; }

    /// <summary>Leave FIFOs, sockets and devices out (listed in <see cref="PreparedLayer.Skipped"/>) instead of refusing them.</summary>
    public bool SkipSpecialFiles { get; init; }
}

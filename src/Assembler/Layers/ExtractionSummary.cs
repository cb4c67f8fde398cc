namespace OrasAssemble.Layers;

/// <summary>What applying one layer did.</summary>
/// <param name="Entries">Tar entries read, whiteouts and skipped metadata included; 1 for a single-file layer.</param>
/// <param name="FileBytes">Bytes written into regular files.</param>
/// <param name="ArchiveBytes">Decompressed bytes read: tar headers, padding and data.</param>
/// <param name="SetuidBitsStripped">Entries whose setuid or setgid bit was removed.</param>
/// <param name="SkippedSpecialFiles">Device nodes and FIFOs left out (and hard links to them).</param>
/// <param name="OwnersNotKept">
/// Some entry belongs to the extracting user rather than to the owner the layer gives it: only a privileged process
/// (root, as the node plugin runs) can give files away.
/// </param>
public sealed record ExtractionSummary(
    long Entries, long FileBytes, long ArchiveBytes, long SetuidBitsStripped, long SkippedSpecialFiles = 0, bool OwnersNotKept = false);

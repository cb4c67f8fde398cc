namespace OrasAssemble.CsiNode.Publishing;

/// <summary>A volume operation failed for a reason the node service reports with a specific status.</summary>
internal sealed class VolumeException(VolumeErrorKind kind, string message, Exception? inner = null) : Exception(message, inner)
{
    public VolumeErrorKind Kind { get; } = kind;
}

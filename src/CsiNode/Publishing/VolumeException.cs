using OrasAssemble.Failures;

namespace OrasAssemble.CsiNode.Publishing;

/// <summary>A volume operation failed for a reason of the node's own (its policy, its mounts, the target's state), of the given kind.</summary>
internal sealed class VolumeException(FailureKind kind, string message, Exception? inner = null) : Exception(message, inner), IClassifiedFailure
{
    public FailureKind Kind { get; } = kind;
}

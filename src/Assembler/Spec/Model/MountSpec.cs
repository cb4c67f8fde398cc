namespace OrasAssemble.Spec.Model;

public sealed record MountSpec
{
    /// <summary>Absolute path in the container where the webhook mounts the tree.</summary>
    public required string Path { get; init; }
}

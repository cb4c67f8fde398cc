namespace OrasAssemble.CsiNode.Outputs;

/// <summary>
/// What an output volume is to become, kept beside its directory from publish on and moved with it into the outbox at
/// unpublish. The credentials to push with are in a file of their own (<see cref="OutputStore"/>), never in this one.
/// </summary>
internal sealed record OutputEntry
{
    public required string VolumeId { get; init; }

    /// <summary>Where the contents go, with the pod's values put in for the placeholders.</summary>
    public required string Reference { get; init; }

    /// <summary>The reference as the pod wrote it.</summary>
    public required string Template { get; init; }

    public required string ArtifactType { get; init; }

    public IReadOnlyDictionary<string, string> Annotations { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    public string? PodNamespace { get; init; }

    public string? PodName { get; init; }

    public string? PodUid { get; init; }

    public required string NodeId { get; init; }

    public DateTimeOffset PublishedAt { get; init; }

    /// <summary>When kubelet unpublished the volume, i.e. when the pod's containers were done: the artifact's creation time.</summary>
    public DateTimeOffset? UnpublishedAt { get; init; }
}

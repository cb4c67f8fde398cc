namespace OrasAssemble.CsiNode.State;

/// <summary>A volume the plugin mounted, kept on disk so unpublish and cache collection work after a restart.</summary>
internal sealed record PublishRecord
{
    public required string VolumeId { get; init; }

    public required string TargetPath { get; init; }

    /// <summary>The cache tree mounted at the target; collection never removes it while this record exists.</summary>
    public required string TreeKey { get; init; }

    /// <summary>What the volume asked for: the reference, or "inline spec".</summary>
    public required string Source { get; init; }

    /// <summary>The manifest digest the reference resolved to, when there is one.</summary>
    public string? Digest { get; init; }

    public string? PodNamespace { get; init; }

    public string? PodName { get; init; }

    public string? PodUid { get; init; }

    public DateTimeOffset PublishedAt { get; init; }

    /// <summary>An output volume: a writable directory of the plugin's state, pushed at unpublish; <see cref="TreeKey"/> is empty.</summary>
    public bool Output { get; init; }
}

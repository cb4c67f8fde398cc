namespace OrasAssemble.CsiNode.Publishing;

/// <summary>A checked NodePublishVolume request.</summary>
internal sealed record PublishRequest(
    string VolumeId, string TargetPath, VolumeAttributes Attributes, IReadOnlyDictionary<string, string> Secrets, PodInfo Pod);

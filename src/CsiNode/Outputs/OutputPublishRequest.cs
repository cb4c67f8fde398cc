using OrasAssemble.CsiNode.Publishing;

namespace OrasAssemble.CsiNode.Outputs;

/// <summary>A checked NodePublishVolume request for an output volume.</summary>
internal sealed record OutputPublishRequest(
    string VolumeId, string TargetPath, OutputAttributes Attributes, IReadOnlyDictionary<string, string> Secrets, PodInfo Pod);

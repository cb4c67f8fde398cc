using OrasAssemble.Text;

namespace OrasAssemble.CsiNode.Publishing;

/// <summary>The pod a volume is for, as kubelet describes it when the CSIDriver asks for pod info on mount.</summary>
internal sealed record PodInfo(string? Namespace, string? Name, string? Uid, string? ServiceAccount)
{
    public static PodInfo From(IReadOnlyDictionary<string, string> context) => new(
        context.GetValueOrDefault(VolumeContextKeys.PodNamespace),
        context.GetValueOrDefault(VolumeContextKeys.PodName),
        context.GetValueOrDefault(VolumeContextKeys.PodUid),
        context.GetValueOrDefault(VolumeContextKeys.ServiceAccount));

    public override string ToString() => Namespace is null && Name is null ? "(no pod info)" : $"{QuotedValue.Bare(Namespace)}/{QuotedValue.Bare(Name)}";
}

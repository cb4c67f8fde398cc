namespace OrasAssemble.CsiNode.Outputs;

/// <summary>The manifest annotations an output artifact carries to say where it came from.</summary>
internal static class OutputAnnotations
{
    public const string PodNamespace = "land.oras.assemble.output.pod.namespace";
    public const string PodName = "land.oras.assemble.output.pod.name";
    public const string PodUid = "land.oras.assemble.output.pod.uid";
    public const string Node = "land.oras.assemble.output.node";
}

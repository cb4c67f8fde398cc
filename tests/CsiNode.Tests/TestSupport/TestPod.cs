namespace OrasAssemble.CsiNode.Tests.TestSupport;

/// <summary>A pod with one inline CSI volume, as far as kubelet's calls are concerned.</summary>
internal sealed record TestPod(string Name, string Namespace, string Uid, string VolumeName = "app")
{
    public static TestPod Create(string name, string @namespace = "default") => new(name, @namespace, Guid.NewGuid().ToString());
}

using OrasAssemble.Content;
using OrasAssemble.Oci;
using OrasAssemble.Spec.Model;
using OrasAssemble.Spec.Parsing;
using OrasAssemble.Tests.Execution;

namespace OrasAssemble.CsiNode.Tests.TestSupport;

/// <summary>Pushes a spec as a spec artifact, laid out as spec/assembly-spec.md says.</summary>
internal static class SpecArtifactPusher
{
    public static async Task<Descriptor> PushAsync(ITarget target, string tag, string specYaml)
    {
        var spec = SpecDocument.Load(specYaml).GetValidSpec("test spec").Model;
        var layer = await target.PushBytesAsync(SpecArtifact.LayerMediaType, SpecJson.Serialize(spec),
            new Dictionary<string, string> { [Annotations.Title] = SpecArtifact.LayerTitle });
        await target.PushBytesAsync(MediaTypes.Empty, "{}"u8.ToArray());
        return await ContentBuilder.PushManifestAsync(target, tag, new Manifest
        {
            ArtifactType = SpecArtifact.ArtifactType,
            Config = Descriptor.Empty with { Data = null },
            Layers = [layer],
            Annotations = new Dictionary<string, string> { [Annotations.Title] = spec.Metadata.Name },
        });
    }
}

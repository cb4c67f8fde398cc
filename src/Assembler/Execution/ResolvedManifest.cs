using OrasAssemble.Oci;
using OrasAssemble.Spec.Model;

namespace OrasAssemble.Execution;

/// <summary>What a reference resolved to.</summary>
/// <param name="Root">What the reference itself names: the index when it names one, else the manifest.</param>
/// <param name="Descriptor">The manifest taken (for an index, the platform's).</param>
/// <param name="Manifest">Its content.</param>
public sealed record ResolvedManifest(Descriptor Root, Descriptor Descriptor, Manifest Manifest)
{
    /// <summary>A container image, as opposed to an artifact: judged by the config's media type.</summary>
    public bool IsImage => Manifest.Config.MediaType is MediaTypes.ImageConfig or MediaTypes.DockerConfig;

    /// <summary>
    /// The layers a source reads, in manifest order: those passing its media type and annotation filters and, in an
    /// artifact, carrying a title (an untitled artifact layer names no file, so it is ignored as <c>oras pull</c> does).
    /// </summary>
    public IReadOnlyList<Descriptor> LayersFor(SourceSpec source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return Manifest.Layers.Where(layer => Selected(source, layer) && (IsImage || layer.Title is not null)).ToList();
    }

    private static bool Selected(SourceSpec source, Descriptor layer)
    {
        var mediaType = layer.MediaType.Split(';', 2)[0].Trim();
        if (source.MediaTypes.Count > 0 && !source.MediaTypes.Contains(mediaType, StringComparer.Ordinal))
        {
            return false;
        }

        return source.Annotations.All(a => layer.Annotations is not null
            && layer.Annotations.TryGetValue(a.Key, out var value) && value == a.Value);
    }
}

using OrasAssemble.Cache;
using OrasAssemble.Content;
using OrasAssemble.Oci;
using OrasAssemble.Spec;
using OrasAssemble.Spec.Model;
using OrasAssemble.Spec.Parsing;
using OrasAssemble.Spec.Validation;

namespace OrasAssemble.CsiNode.Publishing;

/// <summary>
/// Reads the spec a spec artifact holds (spec/assembly-spec.md, "The spec artifact"): its one spec layer, fetched
/// through the node cache so it is verified and downloaded once, then parsed and validated like any spec (once per
/// blob: see <see cref="ParsedSpecs"/>).
/// </summary>
internal static class SpecArtifactReader
{
    public static bool IsSpec(Manifest manifest) => manifest.ArtifactType == SpecArtifact.ArtifactType;

    /// <param name="origin">Names the artifact in errors, e.g. its reference.</param>
    /// <exception cref="InvalidDataException">The artifact does not have exactly one spec layer, or it is too large.</exception>
    /// <exception cref="InvalidSpecException">The layer is not a valid spec.</exception>
    public static async Task<ValidSpec> ReadAsync(
        Manifest manifest, string origin, TreeCache cache, ParsedSpecs parsed, IFetchable source, CancellationToken cancellationToken)
    {
        var layers = manifest.Layers.Where(l => l.MediaType == SpecArtifact.LayerMediaType).ToList();
        if (layers.Count != 1)
        {
            throw new InvalidDataException($"{origin} is a spec artifact with {layers.Count} layers of type {SpecArtifact.LayerMediaType}; it must have exactly one");
        }

        var layer = layers[0];
        if (layer.Size > SpecLimits.MaxBytes)
        {
            throw new InvalidDataException($"{origin}: the spec layer is {layer.Size} bytes, over the limit of {SpecLimits.MaxBytes}");
        }

        for (var attempt = 1; ; attempt++)
        {
            var path = await cache.EnsureBlobAsync(layer, ct => source.FetchAsync(layer, ct), cancellationToken).ConfigureAwait(false);
            try
            {
                var bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
                return parsed.GetOrParse(layer.Digest, () => SpecJson.Deserialize(bytes, origin));
            }
            catch (FileNotFoundException) when (attempt == 1)
            {
                // No tree links a spec blob, so the cache may remove it to make room between finding and reading it.
            }
        }
    }
}

using OrasAssemble.Content;
using OrasAssemble.Execution;
using OrasAssemble.Oci;

namespace OrasAssemble.SpecArtifacts;

/// <summary>
/// What an image reference resolved to and the platforms it runs on: every platform an index offers (attestations
/// and <c>unknown/unknown</c> entries left out), or the one an image's config states. An artifact that is not an
/// image offers none.
/// </summary>
public sealed record BaseImagePlatforms(Descriptor Root, IReadOnlyList<Platform> Platforms)
{
    /// <summary>Whether some platform offered satisfies <paramref name="platform"/>.</summary>
    public bool Provides(Platform platform)
    {
        ArgumentNullException.ThrowIfNull(platform);
        return Platforms.Any(platform.IsSatisfiedBy);
    }

    /// <summary>The platforms, as <c>os/arch[/variant]</c>, for messages.</summary>
    public string Describe() => Platforms.Count == 0 ? "no platform (it is not an image)" : string.Join(", ", Platforms);

    /// <param name="located">Where to resolve the image, and what.</param>
    /// <param name="name">How messages name the image.</param>
    /// <param name="maxBytes">The largest index, manifest or image config read.</param>
    /// <exception cref="InvalidDataException">What the reference names is not a manifest or index, or not valid JSON.</exception>
    public static async Task<BaseImagePlatforms> ReadAsync(LocatedTarget located, string name, long maxBytes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(located);
        var root = await located.Target.ResolveAsync(located.Reference, cancellationToken).ConfigureAwait(false);
        var bytes = await located.Target.FetchAllAsync(root, maxBytes, cancellationToken).ConfigureAwait(false);
        if (MediaTypes.IsIndex(root.MediaType))
        {
            var index = OciJson.Deserialize<Oci.Index>(bytes, $"the index {root.Digest}");
            var offered = ManifestResolver.PlatformManifests(index)
                .Select(m => Plain(m.Platform!))
                .Distinct()
                .ToList();
            return new BaseImagePlatforms(root, offered);
        }

        if (!MediaTypes.IsManifest(root.MediaType))
        {
            throw new InvalidDataException($"{name} is a {root.MediaType}, not an image");
        }

        var manifest = OciJson.Deserialize<Manifest>(bytes, $"the manifest {root.Digest}");
        if (manifest.Config.MediaType is not (MediaTypes.ImageConfig or MediaTypes.DockerConfig))
        {
            return new BaseImagePlatforms(root, []);
        }

        // An image config states its platform in top-level os/architecture/variant, the same names an index entry uses.
        var config = await located.Target.FetchAllAsync(manifest.Config, maxBytes, cancellationToken).ConfigureAwait(false);
        var platform = OciJson.Deserialize<Platform>(config, $"the image config {manifest.Config.Digest} of {name}");
        return new BaseImagePlatforms(root, [Plain(platform)]);
    }

    // os.version and os.features describe Windows builds; the rebase guard compares os, architecture and variant.
    private static Platform Plain(Platform platform) =>
        new() { Os = platform.Os, Architecture = platform.Architecture, Variant = platform.Variant };
}

using System.Text.Json.Nodes;
using OrasAssemble.Cli.Targets;
using OrasAssemble.Execution;
using OrasAssemble.Oci;
using OrasAssemble.Registry;
using OrasAssemble.Spec;
using OrasAssemble.Spec.Model;
using OrasAssemble.Spec.Parsing;
using OrasAssemble.Spec.Validation;
using OrasAssemble.SpecArtifacts;

namespace OrasAssemble.Cli.Inspection;

/// <summary>
/// The <c>inspect</c> section of a spec artifact: what its annotations summarise, every source resolved where it would
/// be assembled from (its manifest digest and the bytes of the layers it reads), and the spec itself. A source that
/// cannot be resolved shows why instead of failing the whole report.
/// </summary>
internal sealed class SpecDetailProvider(ITargetLocator locator, Platform defaultPlatform) : IArtifactDetailProvider
{
    public string Heading => "Assembly spec";

    public bool Describes(Manifest manifest) => SpecArtifactReader.IsSpecArtifact(manifest);

    public async Task<JsonObject> DescribeAsync(ArtifactTarget target, Manifest manifest, CancellationToken cancellationToken)
    {
        var details = new JsonObject();
        AssemblySpec spec;
        try
        {
            spec = (await SpecArtifactReader.ReadSpecAsync(target.Store, manifest, target.Reference.ToString(), cancellationToken).ConfigureAwait(false)).Model;
        }
        catch (InvalidSpecException invalid)
        {
            details["errors"] = new JsonArray([.. invalid.Errors.Select(e => JsonValue.Create(e.ToString()))]);
            return details;
        }
        catch (NotASpecArtifactException wrong)
        {
            details["error"] = wrong.Message;
            return details;
        }

        details["name"] = spec.Metadata.Name;
        if (spec.Base is { } baseImage)
        {
            details["base"] = manifest.Annotations?.GetValueOrDefault(SpecArtifact.BaseAnnotation) ?? baseImage.Image;
            if (baseImage.Platform is { } platform)
            {
                details["platform"] = platform;
            }
        }

        if (spec.Mount is { } mount)
        {
            details["mountPath"] = mount.Path;
        }

        var basePlatform = spec.Base?.Platform is { } text ? Platform.Parse(text) : null;
        var sources = await Task.WhenAll(spec.Sources.Select(pair =>
            DescribeSourceAsync(pair.Value, pair.Value.Platform is { } p ? Platform.Parse(p) : basePlatform ?? defaultPlatform, cancellationToken)))
            .ConfigureAwait(false);
        var sourcesObject = new JsonObject();
        foreach (var (name, source) in spec.Sources.Keys.Zip(sources))
        {
            sourcesObject[name] = source;
        }

        details["sources"] = sourcesObject;
        details["spec"] = JsonNode.Parse(SpecJson.Serialize(spec));
        return details;
    }

    private async Task<JsonObject> DescribeSourceAsync(SourceSpec source, Platform platform, CancellationToken cancellationToken)
    {
        var described = new JsonObject { ["ref"] = source.Ref };
        try
        {
            var located = locator.Locate(Reference.Parse(source.Ref));
            var resolved = await ManifestResolver.ResolveAsync(located, source.Ref, platform, OciLimits.MaxManifestBytes, cancellationToken)
                .ConfigureAwait(false);
            var layers = resolved.LayersFor(source);
            described["digest"] = resolved.Descriptor.Digest;
            if (resolved.Root.Digest != resolved.Descriptor.Digest)
            {
                described["index"] = resolved.Root.Digest;
                described["platform"] = platform.ToString();
            }

            described["kind"] = resolved.IsImage ? "image" : "artifact";
            described["layers"] = layers.Count;
            described["size"] = layers.Sum(l => l.Size);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // One unreachable source should not hide what the others resolve to.
            described["error"] = e.Message;
        }

        return described;
    }
}

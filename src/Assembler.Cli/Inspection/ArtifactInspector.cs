using OrasAssemble.Cli.Targets;
using OrasAssemble.Execution;
using OrasAssemble.Oci;
using OrasAssemble.SpecArtifacts;

namespace OrasAssemble.Cli.Inspection;

/// <summary>Reads a manifest or index and summarises it for <c>inspect</c>.</summary>
internal sealed class ArtifactInspector(IReadOnlyList<IArtifactDetailProvider> providers)
{
    public const string ContainerImage = "container image";

    public async Task<InspectionReport> InspectAsync(ArtifactTarget target, CancellationToken cancellationToken)
    {
        var (descriptor, bytes) = await ManifestReader.FetchAsync(target, cancellationToken).ConfigureAwait(false);
        var report = new InspectionReport
        {
            Reference = target.Reference.ToString(),
            MediaType = descriptor.MediaType,
            Digest = descriptor.Digest,
            Size = descriptor.Size,
        };

        if (MediaTypes.IsIndex(descriptor.MediaType))
        {
            var index = OciJson.Deserialize<Oci.Index>(bytes, $"index {descriptor.Digest}");
            return report with
            {
                ArtifactType = index.ArtifactType,
                Subject = index.Subject,
                Annotations = index.Annotations,
                Manifests = [.. index.Manifests.Select(m => new ManifestEntrySummary(
                    m.MediaType, m.Digest, m.Size, m.Platform?.ToString(), m.ArtifactType, m.Annotations))],
            };
        }

        if (!MediaTypes.IsManifest(descriptor.MediaType))
        {
            // Something else a registry serves (e.g. a schema 1 manifest): say what it is, do not guess its shape.
            return report;
        }

        var manifest = OciJson.Deserialize<Manifest>(bytes, $"manifest {descriptor.Digest}");
        report = report with
        {
            ArtifactType = manifest.ArtifactType ?? (manifest.Config.MediaType == MediaTypes.Empty ? null : manifest.Config.MediaType),
            Config = manifest.Config,
            Subject = manifest.Subject,
            Annotations = manifest.Annotations,
            Layers = [.. manifest.Layers.Select(l => new LayerSummary(l.MediaType, l.Title, l.Size, l.Digest, l.Annotations))],
        };

        if (manifest.ArtifactType is null && manifest.Config.MediaType is MediaTypes.ImageConfig or MediaTypes.DockerConfig)
        {
            var platforms = await BaseImagePlatforms.ReadAsync(
                new LocatedTarget(target.Store, target.ContentReference), target.Reference.ToString(), OciLimits.MaxManifestBytes, cancellationToken).ConfigureAwait(false);
            report = report with { Type = ContainerImage, Platform = platforms.Platforms.Count == 0 ? null : platforms.Describe() };
        }

        var provider = providers.FirstOrDefault(p => p.Describes(manifest));
        if (provider is null)
        {
            return report;
        }

        var details = await provider.DescribeAsync(target, manifest, cancellationToken).ConfigureAwait(false);
        return report with { DetailsHeading = provider.Heading, Details = details };
    }
}

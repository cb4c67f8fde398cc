using OrasAssemble.Oci;
using Index = OrasAssemble.Oci.Index;

namespace OrasAssemble.Content;

/// <summary>What a store needs to know of a manifest to answer a referrers query about it.</summary>
internal sealed record ReferrerInfo(Descriptor? Subject, string? ArtifactType, IReadOnlyDictionary<string, string>? Annotations)
{
    /// <summary>
    /// Reads subject, artifact type and annotations from manifest or index bytes. As the distribution spec says
    /// for the referrers API, an image manifest without <c>artifactType</c> is typed by its config's media type.
    /// </summary>
    public static ReferrerInfo Parse(ReadOnlySpan<byte> content, string mediaType, string what)
    {
        if (MediaTypes.IsIndex(mediaType))
        {
            var index = OciJson.Deserialize<Index>(content, what);
            return new ReferrerInfo(index.Subject, index.ArtifactType, index.Annotations);
        }

        var manifest = OciJson.Deserialize<Manifest>(content, what);
        return new ReferrerInfo(manifest.Subject, manifest.ArtifactType ?? manifest.Config.MediaType, manifest.Annotations);
    }

    /// <summary>The descriptor a referrers listing shows for the manifest <paramref name="self"/>.</summary>
    public Descriptor Describe(Descriptor self) => self.Basic() with { ArtifactType = ArtifactType, Annotations = Annotations };

    public bool Refers(Descriptor subject, string? artifactType) =>
        Subject is not null
        && string.Equals(Subject.Digest, subject.Digest, StringComparison.Ordinal)
        && (artifactType is null || string.Equals(ArtifactType, artifactType, StringComparison.Ordinal));
}

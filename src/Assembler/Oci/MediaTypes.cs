using System.Text.RegularExpressions;

namespace OrasAssemble.Oci;

/// <summary>Media types of the OCI image spec, the Docker formats registries still serve, and ORAS.</summary>
public static partial class MediaTypes
{
    public const string ImageManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string ImageIndex = "application/vnd.oci.image.index.v1+json";
    public const string ImageConfig = "application/vnd.oci.image.config.v1+json";
    public const string ImageLayer = "application/vnd.oci.image.layer.v1.tar";
    public const string ImageLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
    public const string ImageLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
    public const string Empty = "application/vnd.oci.empty.v1+json";

    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string DockerConfig = "application/vnd.docker.container.image.v1+json";
    public const string DockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";

    /// <summary>The media type ORAS gives a file layer when the user names none.</summary>
    public const string OrasDefaultFile = "application/vnd.oci.image.layer.v1.tar";

    /// <summary>What a client accepts when it asks a registry for a manifest, most preferred first.</summary>
    public static readonly IReadOnlyList<string> ManifestAccept =
    [
        ImageManifest,
        ImageIndex,
        DockerManifest,
        DockerManifestList,
    ];

    public static bool IsManifest(string? mediaType) => mediaType is ImageManifest or DockerManifest;

    public static bool IsIndex(string? mediaType) => mediaType is ImageIndex or DockerManifestList;

    /// <summary>Whether content of this type is stored under <c>/manifests/</c> rather than <c>/blobs/</c>.</summary>
    public static bool IsManifestOrIndex(string? mediaType) => IsManifest(mediaType) || IsIndex(mediaType);

    /// <summary>
    /// Whether <paramref name="mediaType"/> is <c>type/subtype</c> by RFC 6838's restricted-name grammar (a <c>+suffix</c>
    /// is part of the subtype), without parameters.
    /// </summary>
    public static bool IsWellFormed(string? mediaType) => mediaType is not null && Grammar().IsMatch(mediaType);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex Grammar();
}

using System.Text;
using System.Text.Json.Nodes;
using OrasAssemble.Content;
using OrasAssemble.Oci;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Spec.Model;
using OrasAssemble.Spec.Parsing;

namespace OrasAssemble.Webhook.Tests.TestSupport;

/// <summary>
/// Pushes spec artifacts built by hand, field by field as spec/assembly-spec.md describes them, so the webhook is
/// tested against the format rather than against whatever our own pusher happens to write.
/// </summary>
internal static class SpecArtifactPusher
{
    /// <summary>A valid spec as JSON, with keys in canonical order.</summary>
    public static byte[] SpecJson(string name, string? baseImage, string? mountPath)
    {
        var json = new StringBuilder("{\"apiVersion\":\"assemble.oras.land/v1\"");
        if (baseImage is not null)
        {
            json.Append(",\"base\":{\"image\":\"").Append(baseImage).Append("\"}");
        }

        json.Append(",\"kind\":\"Assembly\",\"metadata\":{\"name\":\"").Append(name).Append("\"}");
        if (mountPath is not null)
        {
            json.Append(",\"mount\":{\"path\":\"").Append(mountPath).Append("\"}");
        }

        json.Append(",\"sources\":{\"app\":{\"ref\":\"registry.example/apps/hello-jar:1.0\"}}");
        json.Append(",\"steps\":[{\"copy\":{\"from\":\"app\",\"path\":\"HelloWorldServer.jar\",\"to\":\"/HelloWorldServer.jar\"}}]}");
        return Encoding.UTF8.GetBytes(json.ToString());
    }

    /// <summary>
    /// Pushes a spec artifact: the empty config, <paramref name="layer"/> as the one spec layer, and a manifest with
    /// <paramref name="annotations"/> (title and created are added). Returns the manifest's descriptor.
    /// </summary>
    public static async Task<Descriptor> PushAsync(
        Repository repository, string tag, byte[] layer, IReadOnlyDictionary<string, string> annotations,
        string? artifactType = SpecArtifact.ArtifactType, string layerMediaType = SpecArtifact.LayerMediaType)
    {
        await repository.PushBytesAsync(MediaTypes.Empty, "{}"u8.ToArray());
        var layerDescriptor = await repository.PushBytesAsync(
            layerMediaType, layer, new Dictionary<string, string> { [Annotations.Title] = SpecArtifact.LayerTitle });

        var manifestAnnotations = new JsonObject
        {
            [Annotations.Title] = "hello-java",
            [Annotations.Created] = "2026-11-22T10:15:00Z",
        };
        foreach (var (key, value) in annotations)
        {
            manifestAnnotations[key] = value;
        }

        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.ImageManifest,
            ["config"] = new JsonObject
            {
                ["mediaType"] = MediaTypes.Empty,
                ["digest"] = Descriptor.Empty.Digest,
                ["size"] = 2,
                ["data"] = "e30=",
            },
            ["layers"] = new JsonArray(new JsonObject
            {
                ["mediaType"] = layerDescriptor.MediaType,
                ["digest"] = layerDescriptor.Digest,
                ["size"] = layerDescriptor.Size,
                ["annotations"] = new JsonObject { [Annotations.Title] = SpecArtifact.LayerTitle },
            }),
            ["annotations"] = manifestAnnotations,
        };
        if (artifactType is not null)
        {
            manifest["artifactType"] = artifactType;
        }

        return await PushManifestAsync(repository, tag, manifest);
    }

    /// <summary>A minimal image (empty config, no layers) to stand in for a base image that must resolve.</summary>
    public static async Task<Descriptor> PushImageAsync(Repository repository, string tag)
    {
        var config = await repository.PushBytesAsync(MediaTypes.ImageConfig, "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}"u8.ToArray());
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.ImageManifest,
            ["config"] = new JsonObject { ["mediaType"] = config.MediaType, ["digest"] = config.Digest, ["size"] = config.Size },
            ["layers"] = new JsonArray(),
        };
        return await PushManifestAsync(repository, tag, manifest);
    }

    private static async Task<Descriptor> PushManifestAsync(Repository repository, string tag, JsonObject manifest)
    {
        var bytes = Encoding.UTF8.GetBytes(manifest.ToJsonString());
        var descriptor = Descriptor.Create(bytes, MediaTypes.ImageManifest);
        using var stream = new MemoryStream(bytes);
        await repository.PushAsync(descriptor, stream, tag);
        return descriptor;
    }
}

using System.Text;
using OrasAssemble.Content;
using OrasAssemble.Oci;

namespace OrasAssemble.Tests.TestSupport;

/// <summary>Builds small images and artifacts in a store, the way a registry client would push them.</summary>
internal static class TestContent
{
    public static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>Deterministic pseudo-random bytes, so failures reproduce.</summary>
    public static byte[] Random(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public static Descriptor Describe(byte[] content, string mediaType = "application/octet-stream") => Descriptor.Create(content, mediaType);

    public static byte[] ImageConfig(string os, string architecture, string? variant = null)
    {
        var variantField = variant is null ? "" : $",\"variant\":\"{variant}\"";
        return Bytes($"{{\"architecture\":\"{architecture}\",\"os\":\"{os}\"{variantField},\"rootfs\":{{\"type\":\"layers\",\"diff_ids\":[]}}}}");
    }

    /// <summary>Pushes config and layers, then the manifest over them; returns the manifest's descriptor.</summary>
    public static async Task<Descriptor> PushImageAsync(IPushable store, byte[] config, IEnumerable<byte[]> layers, string configMediaType = MediaTypes.ImageConfig, Descriptor? subject = null, string? artifactType = null, IReadOnlyDictionary<string, string>? annotations = null)
    {
        var configDescriptor = await store.PushBytesAsync(configMediaType, config);
        var layerDescriptors = new List<Descriptor>();
        foreach (var layer in layers)
        {
            layerDescriptors.Add(await store.PushBytesAsync(MediaTypes.ImageLayerGzip, layer));
        }

        var manifest = new Manifest
        {
            Config = configDescriptor,
            Layers = layerDescriptors,
            Subject = subject,
            ArtifactType = artifactType,
            Annotations = annotations,
        };
        return await store.PushBytesAsync(MediaTypes.ImageManifest, OciJson.Serialize(manifest));
    }

    public static async Task<Descriptor> PushIndexAsync(IPushable store, params Descriptor[] manifests)
    {
        var index = new Oci.Index { Manifests = manifests };
        return await store.PushBytesAsync(MediaTypes.ImageIndex, OciJson.Serialize(index));
    }

    /// <summary>An artifact manifest (empty config) whose subject is <paramref name="subject"/>.</summary>
    public static async Task<Descriptor> PushReferrerAsync(IPushable store, Descriptor subject, string artifactType, string payload)
    {
        await store.PushBytesAsync(MediaTypes.Empty, "{}"u8.ToArray());
        var layer = await store.PushBytesAsync("text/plain", Bytes(payload));
        var manifest = new Manifest
        {
            ArtifactType = artifactType,
            Config = Descriptor.Empty with { Data = null },
            Layers = [layer],
            Subject = subject.Basic(),
            Annotations = new Dictionary<string, string> { [Annotations.Created] = "2024-01-01T00:00:00Z", ["payload"] = payload },
        };
        return await store.PushBytesAsync(MediaTypes.ImageManifest, OciJson.Serialize(manifest));
    }

    public static async Task<byte[]> ReadAllAsync(IFetchable store, Descriptor descriptor)
    {
        await using var stream = await store.FetchAsync(descriptor);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer);
        return buffer.ToArray();
    }
}

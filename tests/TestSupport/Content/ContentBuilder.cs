using System.Text;
using OrasAssemble.Content;
using OrasAssemble.Oci;

namespace OrasAssemble.Tests.Execution;

/// <summary>Pushes ORAS artifacts and small container images into any store, as the tools that make them would.</summary>
internal static class ContentBuilder
{
    /// <summary>An ORAS artifact: files as titled layers, folders as tar+gzip layers marked for unpacking.</summary>
    public static async Task<Descriptor> PushArtifactAsync(
        ITarget target, string tag, IEnumerable<(string Title, string Content, string MediaType)> files,
        IEnumerable<(string Title, TarBuilder Tar)>? folders = null)
    {
        var layers = new List<Descriptor>();
        foreach (var (title, content, mediaType) in files)
        {
            layers.Add(await target.PushBytesAsync(mediaType, Encoding.UTF8.GetBytes(content),
                new Dictionary<string, string> { [Annotations.Title] = title }));
        }

        foreach (var (title, tar) in folders ?? [])
        {
            var plain = tar.ToTar();
            layers.Add(await target.PushBytesAsync(MediaTypes.ImageLayerGzip, TarBuilder.Gzip(plain), new Dictionary<string, string>
            {
                [Annotations.Title] = title,
                [Annotations.Unpack] = "true",
                [Annotations.UnpackDigest] = Digest.ComputeSha256(plain),
            }));
        }

        await target.PushBytesAsync(MediaTypes.Empty, "{}"u8.ToArray());
        return await PushManifestAsync(target, tag, new Manifest
        {
            ArtifactType = "application/vnd.example.files",
            Config = Descriptor.Empty with { Data = null },
            Layers = layers,
        });
    }

    /// <summary>A container image whose layers (tar+gzip) are applied in order.</summary>
    public static async Task<Descriptor> PushImageAsync(ITarget target, string tag, params TarBuilder[] layers)
    {
        var pushed = new List<Descriptor>();
        foreach (var layer in layers)
        {
            pushed.Add(await target.PushBytesAsync(MediaTypes.ImageLayerGzip, layer.ToGzip()));
        }

        var config = await target.PushBytesAsync(MediaTypes.ImageConfig, 
            """{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{}}"""u8.ToArray());
        return await PushManifestAsync(target, tag, new Manifest { Config = config, Layers = pushed });
    }

    public static async Task<Descriptor> PushManifestAsync(ITarget target, string tag, Manifest manifest)
    {
        var bytes = OciJson.Serialize(manifest);
        var descriptor = Descriptor.Create(bytes, MediaTypes.ImageManifest);
        await target.PushAsync(descriptor, new MemoryStream(bytes));
        await target.TagAsync(descriptor, tag);
        return descriptor;
    }

    public static async Task<Descriptor> PushIndexAsync(ITarget target, string tag, params Descriptor[] manifests)
    {
        var bytes = OciJson.Serialize(new Oci.Index { Manifests = manifests });
        var descriptor = Descriptor.Create(bytes, MediaTypes.ImageIndex);
        await target.PushAsync(descriptor, new MemoryStream(bytes));
        await target.TagAsync(descriptor, tag);
        return descriptor;
    }
}

using System.IO.Compression;
using OrasAssemble.Content;
using OrasAssemble.Oci;

namespace OrasAssemble.Cli.Tests.TestSupport;

/// <summary>Small helpers to read blobs back and push hand-made artifacts with the library.</summary>
public static class TestBlobs
{
    public static async Task<byte[]> ReadAsync(IFetchable store, Descriptor descriptor)
    {
        await using var stream = await store.FetchAsync(descriptor);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    public static byte[] Gunzip(byte[] gzip)
    {
        using var input = new GZipStream(new MemoryStream(gzip), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    public static byte[] Gzip(byte[] content)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(content);
        }

        return output.ToArray();
    }

    /// <summary>Pushes an ORAS-style manifest (empty config) over layers already in <paramref name="store"/>, tagged.</summary>
    public static async Task<Descriptor> PushArtifactAsync(ITarget store, string tag, params Descriptor[] layers)
    {
        await store.PushBytesAsync(MediaTypes.Empty, "{}"u8.ToArray());
        var manifest = new Manifest
        {
            ArtifactType = "application/vnd.unknown.artifact.v1",
            Config = Descriptor.Empty,
            Layers = layers,
        };
        var descriptor = await store.PushBytesAsync(MediaTypes.ImageManifest, OciJson.Serialize(manifest));
        await store.TagAsync(descriptor, tag);
        return descriptor;
    }
}

using System.Text;
using OrasAssemble.Content;
using OrasAssemble.Oci;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Tests.Fixtures;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Registry.Remote;

/// <summary>A client of the real CNCF Distribution registry (anonymous access), with small upload chunks.</summary>
public abstract class RegistryRepositoryTests(AnonymousRegistryFixture fixture) : IDisposable
{
    private protected RegistryClient Client { get; } = new(new RegistryClientOptions
    {
        Hosts = TestHosts.PlainHttp,
        MonolithicUploadLimit = 4 * 1024 * 1024,
        ChunkSize = 1024 * 1024,
    });

    private protected RegistryServer Server => fixture.Server;

    private protected Repository Repo(string name) => Client.GetRepository($"{Server.Host}/{name}");

    public void Dispose()
    {
        Client.Dispose();
        GC.SuppressFinalize(this);
    }

    internal static byte[] RandomBytes(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    internal static async Task<byte[]> ReadAllAsync(IFetchable store, Descriptor descriptor)
    {
        await using var stream = await store.FetchAsync(descriptor);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    /// <summary>Pushes a one-file ORAS-style artifact (empty config, titled layer) and returns its manifest.</summary>
    internal static async Task<(Descriptor Manifest, byte[] Bytes)> PushArtifactAsync(
        IPushable repo, string title, string text, string? artifactType = null, Descriptor? subject = null)
    {
        var layer = await repo.PushBytesAsync("text/plain", Encoding.UTF8.GetBytes(text),
            new Dictionary<string, string> { [Annotations.Title] = title });
        await repo.PushBytesAsync(MediaTypes.Empty, "{}"u8.ToArray());
        var manifest = new Manifest
        {
            ArtifactType = artifactType,
            Config = Descriptor.Empty with { Data = null },
            Layers = [layer],
            Subject = subject?.Basic(),
            Annotations = new Dictionary<string, string> { [Annotations.Created] = "2026-11-22T00:00:00Z" },
        };
        var bytes = OciJson.Serialize(manifest);
        var descriptor = Descriptor.Create(bytes, MediaTypes.ImageManifest);
        await repo.PushAsync(descriptor, new MemoryStream(bytes));
        return (descriptor, bytes);
    }
}

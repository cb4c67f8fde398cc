using System.Net;
using System.Text;
using OrasAssemble.Content;
using OrasAssemble.Oci;
using OrasAssemble.Registry;
using OrasAssemble.Tests.TestSupport;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Tests.Fixtures;

namespace OrasAssemble.Tests.Registry.Remote;

/// <summary>The client against a real CNCF Distribution registry, anonymous access.</summary>
public sealed class RepositoryRegistryTests(AnonymousRegistryFixture fixture) : IClassFixture<AnonymousRegistryFixture>, IDisposable
{
    private readonly RegistryClient _client = new(new RegistryClientOptions
    {
        Hosts = TestHosts.PlainHttp,
        MonolithicUploadLimit = 4 * 1024 * 1024,
        ChunkSize = 1024 * 1024,
    });

    private RegistryServer Server => fixture.Server;

    public void Dispose() => _client.Dispose();

    private Repository Repo(string name) => _client.GetRepository($"{Server.Host}/{name}");

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

    [Fact]
    public async Task Unknown_repository_is_a_not_found_error_naming_it()
    {
        var error = await Assert.ThrowsAsync<RegistryNotFoundException>(() => Repo("does/not-exist").ResolveAsync("latest"));
        Assert.StartsWith($"resolve {Server.Host}/does/not-exist:latest: not found", error.Message, StringComparison.Ordinal);
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

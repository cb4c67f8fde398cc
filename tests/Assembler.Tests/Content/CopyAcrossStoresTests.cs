using OrasAssemble.Content;
using OrasAssemble.Layout;
using OrasAssemble.Oci;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Tests.Fixtures;
using OrasAssemble.Tests.Registry.Remote;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Content;

/// <summary>Registry → OCI layout on disk → registry, with a real registry at both ends.</summary>
public sealed class CopyAcrossStoresTests(AnonymousRegistryFixture fixture) : IClassFixture<AnonymousRegistryFixture>, IDisposable
{
    private readonly RegistryClient _client = new(new RegistryClientOptions { Hosts = TestHosts.PlainHttp });
    private readonly TempDirectory _dir = new();

    private RegistryServer Server => fixture.Server;

    public void Dispose()
    {
        _client.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task Registry_to_layout_to_registry_keeps_every_digest_and_byte()
    {
        var origin = _client.GetRepository($"{Server.Host}/copy/origin");
        var (amd64, _) = await RepositoryRegistryTests.PushArtifactAsync(origin, "app.bin", "amd64 application");
        var (arm64, _) = await RepositoryRegistryTests.PushArtifactAsync(origin, "app.bin", "arm64 application");
        var big = RepositoryRegistryTests.RandomBytes(6 * 1024 * 1024, 99);
        var bigLayer = await origin.PushBytesAsync(MediaTypes.ImageLayerGzip, big);
        var image = OciJson.Serialize(new Manifest { Config = Descriptor.Empty with { Data = null }, Layers = [bigLayer] });
        var imageDescriptor = Descriptor.Create(image, MediaTypes.ImageManifest);
        await origin.PushAsync(imageDescriptor, new MemoryStream(image));
        var index = OciJson.Serialize(new Oci.Index
        {
            Manifests =
            [
                amd64 with { Platform = Platform.Parse("linux/amd64") },
                arm64 with { Platform = Platform.Parse("linux/arm64") },
                imageDescriptor with { Platform = Platform.Parse("linux/s390x") },
            ],
        });
        var root = Descriptor.Create(index, MediaTypes.ImageIndex);
        await origin.PushAsync(root, new MemoryStream(index), "1.0");
        var (signature, _) = await RepositoryRegistryTests.PushArtifactAsync(origin, "sig", "signature", "application/vnd.example.sig", subject: root);

        var options = new CopyOptions { IncludeReferrers = true };
        using (var layout = await OciLayoutStore.OpenAsync(_dir.Combine("layout")))
        {
            var toLayout = await Copier.CopyAsync(origin, "1.0", layout, "1.0", options);
            Assert.Equal(root.Digest, toLayout.Digest);
        }

        // Reopened from disk, as another process would find it.
        using (var layout = await OciLayoutStore.OpenAsync(_dir.Combine("layout")))
        {
            var target = _client.GetRepository($"{Server.Host}/copy/target");
            var back = await Copier.CopyAsync(layout, "1.0", target, "1.0", options);
            Assert.Equal(root.Digest, back.Digest);

            var resolved = await target.ResolveAsync("1.0");
            Assert.Equal(root.Digest, resolved.Digest);
            Assert.Equal(index, await target.FetchAllAsync(resolved, 1 << 20));
            Assert.Equal(image, await target.FetchAllAsync(imageDescriptor, 1 << 20));
            Assert.Equal(big, await RepositoryRegistryTests.ReadAllAsync(target, bigLayer));
            Assert.Equal("arm64 application"u8.ToArray(), await RepositoryRegistryTests.ReadAllAsync(
                target, OciJson.Deserialize<Manifest>(await target.FetchAllAsync(arm64, 1 << 20), "arm64").Layers[0]));

            var referrers = new List<Descriptor>();
            await foreach (var r in target.FetchReferrersAsync(root))
            {
                referrers.Add(r);
            }

            Assert.Equal(signature.Digest, Assert.Single(referrers).Digest);
        }
    }

    [Fact]
    public async Task Copying_again_transfers_no_blob()
    {
        var origin = _client.GetRepository($"{Server.Host}/copy/again");
        var (manifest, bytes) = await RepositoryRegistryTests.PushArtifactAsync(origin, "a", "content");
        await origin.PushAsync(manifest, new MemoryStream(bytes), "v1");
        using var layout = await OciLayoutStore.OpenAsync(_dir.Combine("again"));
        await Copier.CopyAsync(origin, "v1", layout, "v1");
        Server.ClearRequests();

        await Copier.CopyAsync(origin, "v1", layout, "v1");

        Assert.Equal(0, Server.Count("GET", "/v2/copy/again/blobs/"));
    }
}

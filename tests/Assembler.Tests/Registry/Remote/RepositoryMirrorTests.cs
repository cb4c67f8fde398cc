using OrasAssemble.Content;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Settings;
using OrasAssemble.Tests.Fixtures;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Registry.Remote;

public sealed class RepositoryMirrorTests(AnonymousRegistryFixture fixture) : IClassFixture<AnonymousRegistryFixture>
{
    private RegistryServer Server => fixture.Server;

    private static RegistryClient Client(string yaml) => new(new RegistryClientOptions
    {
        Hosts = HostSettings.Parse(yaml),
        Retry = new RetryPolicy { MaxAttempts = 2, BaseDelay = TimeSpan.FromMilliseconds(5) },
        ConnectTimeout = TimeSpan.FromSeconds(2),
    });

    [Fact]
    public async Task Content_by_digest_comes_from_the_mirror_but_tags_are_resolved_only_at_the_registry()
    {
        Oci.Descriptor manifest;
        using (var setup = new RegistryClient(new RegistryClientOptions { Hosts = TestHosts.PlainHttp }))
        {
            var mirrorRepo = setup.GetRepository($"{Server.Host}/mirrored/app");
            (manifest, var bytes) = await RepositoryRegistryTests.PushArtifactAsync(mirrorRepo, "a.txt", "from the mirror");
            await mirrorRepo.PushAsync(manifest, new MemoryStream(bytes), "1.0");
        }

        // 127.0.0.2:9 answers nothing: only the mirror can serve content, and it must not answer for a tag.
        using var client = Client($$"""
            registries:
              "127.0.0.2:9": { plainHttp: true, mirrors: ["{{Server.Host}}"] }
              "{{Server.Host}}": { plainHttp: true }
            """);
        var repo = client.GetRepository("127.0.0.2:9/mirrored/app");

        var manifestBytes = await repo.FetchAllAsync(manifest, 1 << 20);
        var layer = Oci.OciJson.Deserialize<Oci.Manifest>(manifestBytes, "manifest").Layers[0];

        Assert.Equal("from the mirror"u8.ToArray(), await RepositoryRegistryTests.ReadAllAsync(repo, layer));
        await Assert.ThrowsAnyAsync<Exception>(() => repo.ResolveAsync("1.0"));
        await Assert.ThrowsAnyAsync<Exception>(() => repo.ResolveAsync(manifest.Digest));
    }

    [Fact]
    public async Task A_dead_mirror_is_passed_over_for_the_registry()
    {
        using (var setup = new RegistryClient(new RegistryClientOptions { Hosts = TestHosts.PlainHttp }))
        {
            await setup.GetRepository($"{Server.Host}/origin/app").PushBytesAsync("text/plain", "origin bytes"u8.ToArray());
        }

        using var client = Client($$"""
            registries:
              "{{Server.Host}}": { plainHttp: true, mirrors: ["127.0.0.2:9"] }
              "127.0.0.2:9": { plainHttp: true }
            """);
        var repo = client.GetRepository($"{Server.Host}/origin/app");

        var read = await RepositoryRegistryTests.ReadAllAsync(repo, Oci.Descriptor.Create("origin bytes"u8, "text/plain"));

        Assert.Equal("origin bytes"u8.ToArray(), read);
    }
}

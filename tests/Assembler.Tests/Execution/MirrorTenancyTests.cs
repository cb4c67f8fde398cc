using System.Runtime.Versioning;
using OrasAssemble.Cache;
using OrasAssemble.Content;
using OrasAssemble.Execution;
using OrasAssemble.Oci;
using OrasAssemble.Registry.Auth;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Settings;
using OrasAssemble.Spec.Parsing;
using OrasAssemble.Tests.Fixtures;
using OrasAssemble.Tests.Registry.Remote;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Execution;

/// <summary>
/// A mirror serves anyone who can reach it, so it must never decide access: a caller without credentials for a
/// private repository is refused by the registry even when the mirror holds every blob of it.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class MirrorTenancyTests(TokenRegistryFixture fixture) : IClassFixture<TokenRegistryFixture>, IDisposable
{
    private readonly TempDirectory _dir = new();

    private RegistryServer Server => fixture.Server;

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_caller_without_credentials_is_denied_a_private_repository_the_mirror_holds(bool byDigest)
    {
        await using var mirror = await FaultyRegistry.StartAsync();
        var manifest = await PushIntoRegistryAndMirrorAsync($"private/mirrored-{(byDigest ? "digest" : "tag")}", mirror);
        var reference = $"{Server.Host}/private/mirrored-{(byDigest ? "digest" : "tag")}" + (byDigest ? $"@{manifest}" : ":1.0");
        var spec = SpecDocument.Load($$"""
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: tenancy }
            sources:
              app: { ref: {{reference}} }
            steps:
              - copy: { from: app, path: secret.txt, to: /secret.txt }
            """).GetValidSpec();
        using var anonymous = new RegistryClient(new RegistryClientOptions
        {
            Hosts = HostSettings.Parse($$"""
                registries:
                  "{{Server.Host}}": { plainHttp: true, mirrors: ["{{mirror.Host}}"] }
                  "{{mirror.Host}}": { plainHttp: true }
                """),
        });

        var error = await Assert.ThrowsAnyAsync<Exception>(() =>
            new SpecExecutor(TreeCache.Open(new CacheOptions { Root = _dir.Combine("cache") }), new RegistryTargetLocator(anonymous)).AssembleAsync(spec));

        Assert.Contains("authentication required or credentials rejected", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(mirror.Requests, r => r.Path.Contains("/manifests/1.0", StringComparison.Ordinal));
        Assert.Empty(mirror.Requests);
        Assert.DoesNotContain(Directory.EnumerateFiles(_dir.Path, "*", SearchOption.AllDirectories),
            file => new FileInfo(file).LinkTarget is null && File.ReadAllText(file).Contains("tenant secret", StringComparison.Ordinal));
    }

    /// <summary>Pushes a one-file artifact as the user who may, and copies its manifest and blobs into the mirror.</summary>
    private async Task<string> PushIntoRegistryAndMirrorAsync(string repository, FaultyRegistry mirror)
    {
        using var owner = new RegistryClient(new RegistryClientOptions
        {
            Hosts = TestHosts.PlainHttp,
            Credentials = new StaticCredentialProvider([new(Server.Host, new Credential(Server.Username, Server.Password))]),
        });
        var repo = owner.GetRepository($"{Server.Host}/{repository}");
        var descriptor = await ContentBuilder.PushArtifactAsync(repo, "1.0", [("secret.txt", "tenant secret", "text/plain")]);
        var bytes = await repo.FetchAllAsync(descriptor, 1 << 20);
        mirror.AddManifest("1.0", bytes, descriptor.MediaType);
        var parsed = OciJson.Deserialize<Manifest>(bytes, "manifest");
        foreach (var blob in parsed.Layers.Append(parsed.Config))
        {
            mirror.AddBlob(await RepositoryRegistryTests.ReadAllAsync(repo, blob));
        }

        return descriptor.Digest;
    }
}

using System.Runtime.Versioning;
using System.Text.RegularExpressions;
using OrasAssemble.Cache;
using OrasAssemble.Execution;
using OrasAssemble.Oci;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Spec;
using OrasAssemble.Spec.Parsing;
using OrasAssemble.Tests.Fixtures;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Execution;

/// <summary>The executor against a real registry: what the registry saw is the proof of "each blob once".</summary>
[UnsupportedOSPlatform("windows")]
public sealed class SpecExecutorRegistryTests(AnonymousRegistryFixture fixture) : IClassFixture<AnonymousRegistryFixture>, IDisposable
{
    private readonly RegistryClient _client = new(new RegistryClientOptions { Hosts = TestHosts.PlainHttp });
    private readonly TempDirectory _dir = new();

    private RegistryServer Server => fixture.Server;

    public void Dispose()
    {
        _client.Dispose();
        _dir.Dispose();
    }

    private async Task<ValidSpec> PushSourcesAsync(string prefix)
    {
        var host = Server.Host;
        await ContentBuilder.PushArtifactAsync(_client.GetRepository($"{host}/{prefix}/jar"), "1.0",
            [("HelloWorldServer.jar", "jar bytes from the registry", "application/java-archive")]);
        await ContentBuilder.PushArtifactAsync(_client.GetRepository($"{host}/{prefix}/conf"), "1.0", [],
            [("conf", new TarBuilder().Directory("conf").File("conf/prod.properties", "greeting=registry").File("conf/test.properties", "no"))]);
        await ContentBuilder.PushImageAsync(_client.GetRepository($"{host}/{prefix}/base"), "1.0",
            new TarBuilder().Directory("bin").File("bin/tool", "tool v1", mode: "755").File("bin/gone", "removed upstairs", mode: "755"),
            new TarBuilder().Whiteout("bin/.wh.gone").File("bin/tool", "tool v2", mode: "755"));
        return SpecDocument.Load($$"""
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: registry-test }
            sources:
              app:  { ref: {{host}}/{{prefix}}/jar:1.0 }
              conf: { ref: {{host}}/{{prefix}}/conf:1.0 }
              base: { ref: {{host}}/{{prefix}}/base:1.0, platform: linux/amd64 }
            steps:
              - copy:   { from: app, path: HelloWorldServer.jar, to: /HelloWorldServer.jar }
              - copy:   { from: conf, path: conf/prod.properties, to: /conf/ }
              - rename: { path: /conf/prod.properties, to: /conf/application.properties }
              - copy:   { from: base, path: bin, to: /bin }
            """).GetValidSpec();
    }

    private SpecExecutor Executor(string cache) =>
        new(TreeCache.Open(new CacheOptions { Root = cache }), new RegistryTargetLocator(_client));

    [Fact]
    public async Task Files_folders_and_image_layers_with_whiteouts_make_exactly_the_tree_the_spec_says()
    {
        var spec = await PushSourcesAsync("exact");

        var tree = await Executor(_dir.Combine("cache")).AssembleAsync(spec);

        Assert.Equal(new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["HelloWorldServer.jar"] = "file 0644 jar bytes from the registry",
            ["bin"] = "dir 0755",
            ["bin/tool"] = "file 0755 tool v2",
            ["conf"] = "dir 0755",
            ["conf/application.properties"] = "file 0644 greeting=registry",
        }, TreeSnapshot.Take(tree.Path));
    }

    [Fact]
    public async Task An_oras_file_linked_from_the_cache_has_the_fixed_time_of_oras_files_and_not_its_downloads()
    {
        var spec = await PushSourcesAsync("mtime");

        var tree = await Executor(_dir.Combine("cache")).AssembleAsync(spec);

        var jar = Path.Join(tree.Path, "HelloWorldServer.jar");
        Assert.True(OrasAssemble.IO.FileIdentity.Read(jar)!.Value.Links > 1, "the file is a hard link of its blob");
        Assert.Equal(DateTime.UnixEpoch, File.GetLastWriteTimeUtc(jar));
        // A second tree linking the same blob keeps that time too.
        var again = await Executor(_dir.Combine("cache")).AssembleAsync(SpecDocument.Load($$"""
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: registry-test-again }
            sources:
              app: { ref: {{Server.Host}}/mtime/jar:1.0 }
            steps:
              - copy: { from: app, path: HelloWorldServer.jar, to: /lib/app.jar }
            """).GetValidSpec());
        Assert.Equal(DateTime.UnixEpoch, File.GetLastWriteTimeUtc(Path.Join(again.Path, "lib/app.jar")));
    }

    [Fact]
    public async Task Thirty_two_concurrent_assemblies_download_each_blob_once()
    {
        var spec = await PushSourcesAsync("crowd");
        Server.ClearRequests();
        var executor = Executor(_dir.Combine("crowd-cache"));

        var trees = await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => Task.Run(() => executor.AssembleAsync(spec))));

        Assert.Single(trees.Select(t => t.Key).Distinct());
        var blobGets = Server.Requests
            .Where(r => r.Method == "GET" && r.StatusCode == 200 && r.PathWithoutQuery.Contains("/blobs/", StringComparison.Ordinal))
            .GroupBy(r => r.PathWithoutQuery)
            .ToList();
        Assert.Equal(4, blobGets.Count);
        Assert.All(blobGets, g => Assert.Single(g));
    }

    [Fact]
    public async Task Two_caches_as_two_processes_on_one_directory_download_each_blob_once()
    {
        var spec = await PushSourcesAsync("pair");
        Server.ClearRequests();
        var cache = _dir.Combine("shared-cache");
        using var otherClient = new RegistryClient(new RegistryClientOptions { Hosts = TestHosts.PlainHttp });
        var other = new SpecExecutor(TreeCache.Open(new CacheOptions { Root = cache }), new RegistryTargetLocator(otherClient));

        var trees = await Task.WhenAll(Task.Run(() => Executor(cache).AssembleAsync(spec)), Task.Run(() => other.AssembleAsync(spec)));

        Assert.Equal(trees[0].Path, trees[1].Path);
        Assert.Equal(4, Server.Count("GET", new Regex("^/v2/pair/[a-z]+/blobs/sha256:")));
    }
}

using System.Collections.Concurrent;
using System.Runtime.Versioning;
using OrasAssemble.Cache;
using OrasAssemble.Execution;
using OrasAssemble.Oci;
using OrasAssemble.Registry;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Spec.Parsing;
using OrasAssemble.SpecArtifacts;
using OrasAssemble.Tests.Fixtures;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Execution;

/// <summary>The one entry point given a reference, against a real registry: what the registry saw is the proof.</summary>
[UnsupportedOSPlatform("windows")]
public sealed class TreeAssemblerReferenceTests(AnonymousRegistryFixture fixture) : IClassFixture<AnonymousRegistryFixture>, IDisposable
{
    private readonly RegistryClient _client = new(new RegistryClientOptions { Hosts = TestHosts.PlainHttp });
    private readonly TempDirectory _dir = new();
    private TreeAssembler? _assembler;

    private RegistryServer Server => fixture.Server;

    private TreeAssembler Assembler => _assembler ??= new TreeAssembler(TreeCache.Open(new CacheOptions { Root = _dir.Combine("cache") }));

    public void Dispose()
    {
        _client.Dispose();
        _dir.Dispose();
    }

    private Task<AssembledTree> AssembleAsync(
        string reference, PullPolicy policy = PullPolicy.IfNotPresent, IReadOnlyList<string>? mediaTypes = null, IRememberedReads? remembered = null) =>
        Assembler.AssembleAsync(
            new AssemblyRequest
            {
                Reference = Reference.Parse(reference),
                MediaTypes = mediaTypes ?? [],
                Locator = new RegistryTargetLocator(_client),
                Options = new ExecutorOptions { DefaultPlatform = Platform.Parse("linux/amd64"), PullPolicy = policy },
                RememberedReads = remembered,
            },
            accessCheck: null);

    private async Task<Descriptor> PushSpecAsync(string prefix)
    {
        var host = Server.Host;
        await ContentBuilder.PushArtifactAsync(_client.GetRepository($"{host}/{prefix}/jar"), "1.0", [("app.jar", "jar bytes", "application/java-archive")]);
        var spec = SpecDocument.Load($$"""
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: {{prefix}} }
            sources:
              app: { ref: {{host}}/{{prefix}}/jar:1.0 }
            steps:
              - copy: { from: app, path: app.jar, to: /lib/app.jar }
            """).GetValidSpec(prefix).Model;
        return await SpecArtifactBuilder.PushAsync(_client.GetRepository($"{host}/{prefix}/spec"), SpecArtifactBuilder.Build(spec, null, DateTimeOffset.UnixEpoch), "1.0");
    }

    [Fact]
    public async Task A_spec_artifact_is_assembled_by_its_spec_and_again_within_remembered_reads_with_no_registry_request()
    {
        var manifest = await PushSpecAsync("refspec");
        var remembered = new Remembered();
        var reference = $"{Server.Host}/refspec/spec:1.0";

        var first = await AssembleAsync(reference, remembered: remembered);
        Server.ClearRequests();
        var second = await AssembleAsync(reference, remembered: remembered);

        Assert.Equal(new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["lib"] = "dir 0755",
            ["lib/app.jar"] = "file 0644 jar bytes",
        }, TreeSnapshot.Take(first.Path));
        Assert.Equal((TreeOrigin.Built, manifest.Digest), (first.Origin, first.ManifestDigest));
        Assert.Equal([reference], remembered.Recorded);
        Assert.Empty(Server.Requests);
        Assert.Equal((first.Key, TreeOrigin.Pinned, manifest.Digest), (second.Key, second.Origin, second.ManifestDigest));
    }

    [Fact]
    public async Task Any_other_artifact_is_extracted_whole_with_only_the_layers_of_the_media_types_asked_for()
    {
        var manifest = await ContentBuilder.PushArtifactAsync(_client.GetRepository($"{Server.Host}/whole/files"), "1",
            [("a.txt", "text", "text/plain"), ("b.md", "# markdown", "text/markdown")]);

        var tree = await AssembleAsync($"{Server.Host}/whole/files:1", mediaTypes: ["text/plain"]);

        Assert.Equal(new SortedDictionary<string, string>(StringComparer.Ordinal) { ["a.txt"] = "file 0644 text" }, TreeSnapshot.Take(tree.Path));
        Assert.Equal((TreeOrigin.Built, manifest.Digest), (tree.Origin, tree.ManifestDigest));
    }

    [Fact]
    public async Task A_moved_tag_keeps_what_it_named_with_IfNotPresent_asking_only_the_tag_and_the_pinned_manifest_and_is_followed_with_Always()
    {
        var repository = _client.GetRepository($"{Server.Host}/moving/files");
        var one = await ContentBuilder.PushArtifactAsync(repository, "latest", [("a.txt", "one", "text/plain")]);
        var reference = $"{Server.Host}/moving/files:latest";
        var first = await AssembleAsync(reference);
        var two = await ContentBuilder.PushArtifactAsync(repository, "latest", [("a.txt", "two", "text/plain")]);
        Server.ClearRequests();

        var cached = await AssembleAsync(reference);
        var requests = Server.Requests.Select(r => $"{r.Method} {r.PathWithoutQuery}").ToList();
        var always = await AssembleAsync(reference, PullPolicy.Always);

        Assert.Equal("one", await File.ReadAllTextAsync(Path.Combine(cached.Path, "a.txt")));
        Assert.Equal((first.Key, TreeOrigin.Pinned, one.Digest), (cached.Key, cached.Origin, cached.ManifestDigest));
        Assert.Equal(["HEAD /v2/moving/files/manifests/latest", $"GET /v2/moving/files/manifests/{one.Digest}"], requests);
        Assert.Equal("two", await File.ReadAllTextAsync(Path.Combine(always.Path, "a.txt")));
        Assert.Equal((TreeOrigin.Built, two.Digest), (always.Origin, always.ManifestDigest));
    }

    [Fact]
    public async Task A_tag_whose_pinned_manifest_was_deleted_upstream_is_followed_to_what_it_names_now()
    {
        var repository = _client.GetRepository($"{Server.Host}/deleted/files");
        var one = await ContentBuilder.PushArtifactAsync(repository, "latest", [("a.txt", "one", "text/plain")]);
        var reference = $"{Server.Host}/deleted/files:latest";
        await AssembleAsync(reference);
        var two = await ContentBuilder.PushArtifactAsync(repository, "latest", [("a.txt", "two", "text/plain")]);
        await repository.DeleteAsync(one);

        var followed = await AssembleAsync(reference);

        Assert.Equal("two", await File.ReadAllTextAsync(Path.Combine(followed.Path, "a.txt")));
        Assert.Equal((TreeOrigin.Built, two.Digest), (followed.Origin, followed.ManifestDigest));
    }

    /// <summary>Remembers every read the registry answered, as the node plugin's verified-access window does.</summary>
    private sealed class Remembered : IRememberedReads
    {
        private readonly ConcurrentDictionary<string, Descriptor> _reads = new(StringComparer.Ordinal);

        public List<string> Recorded { get; } = [];

        public Descriptor? Find(Reference reference) => _reads.GetValueOrDefault(reference.ToString());

        public void Record(Reference reference, Descriptor manifest)
        {
            Recorded.Add(reference.ToString());
            _reads[reference.ToString()] = manifest;
        }
    }
}

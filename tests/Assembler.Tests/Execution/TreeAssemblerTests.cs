using System.Runtime.Versioning;
using OrasAssemble.Cache;
using OrasAssemble.Content;
using OrasAssemble.Execution;
using OrasAssemble.Oci;
using OrasAssemble.Registry;
using OrasAssemble.Spec;
using OrasAssemble.Spec.Parsing;
using OrasAssemble.SpecArtifacts;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Execution;

/// <summary>Pins, origins and the access-check hook of the one entry point, against a store that counts what it is asked.</summary>
[UnsupportedOSPlatform("windows")]
public sealed class TreeAssemblerTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly MemoryStore _store = new();
    private readonly CountingTarget _counting;
    private readonly TreeCache _cache;

    public TreeAssemblerTests()
    {
        _counting = new CountingTarget(_store);
        _cache = TreeCache.Open(new CacheOptions { Root = _dir.Combine("cache") });
    }

    public void Dispose() => _dir.Dispose();

    private static ValidSpec Spec => SpecDocument.Load("""
        apiVersion: assemble.oras.land/v1
        kind: Assembly
        metadata: { name: test }
        sources:
          app: { ref: registry.example/apps/hello-jar:1.0 }
        steps:
          - copy: { from: app, path: HelloWorldServer.jar, to: /app.jar }
        """).GetValidSpec("test.yaml");

    private Task<AssembledTree> AssembleAsync(IAccessCheck? check, PullPolicy policy = PullPolicy.IfNotPresent) =>
        new TreeAssembler(_cache).AssembleAsync(
            new AssemblyRequest
            {
                Spec = Spec,
                Locator = new StoreTargetLocator(_counting, "memory"),
                Options = new ExecutorOptions { DefaultPlatform = Platform.Parse("linux/amd64"), PullPolicy = policy },
            },
            check);

    private Task PushAsync(string content) => ContentBuilder.PushArtifactAsync(_store, "registry.example/apps/hello-jar:1.0",
        [("HelloWorldServer.jar", content, "application/java-archive")]);

    [Fact]
    public async Task A_pinned_tree_is_handed_out_after_the_check_accepts_the_sources_it_was_built_from_without_resolving()
    {
        await PushAsync("PK jar bytes");
        var built = await AssembleAsync(check: null);
        var resolves = _counting.Resolves;
        var check = new RecordingCheck();

        var pinned = await AssembleAsync(check);

        Assert.Equal(TreeOrigin.Built, built.Origin);
        Assert.Equal(TreeOrigin.Pinned, pinned.Origin);
        Assert.Equal(built.Key, pinned.Key);
        Assert.Equal(resolves, _counting.Resolves);
        var sources = Assert.Single(check.Asked);
        Assert.Equal([new TreeSource("registry.example/apps/hello-jar:1.0", Assert.Single(built.Sources).ManifestDigest)], sources);
        Assert.Equal("PK jar bytes", File.ReadAllText(Path.Combine(pinned.Path, "app.jar")));
    }

    [Fact]
    public async Task A_refusal_of_the_check_reaches_the_caller_and_nothing_is_resolved()
    {
        await PushAsync("PK jar bytes");
        await AssembleAsync(check: null);
        var resolves = _counting.Resolves;

        var refused = await Assert.ThrowsAsync<UnauthorizedAccessException>(() => AssembleAsync(new RecordingCheck { Refuse = true }));

        Assert.Equal("refused", refused.Message);
        Assert.Equal(resolves, _counting.Resolves);
    }

    [Fact]
    public async Task When_the_ledger_lost_a_pinned_trees_sources_the_spec_is_resolved_again_and_its_sources_recorded()
    {
        await PushAsync("PK jar bytes");
        var built = await AssembleAsync(check: null);
        _cache.Ledger.Forget(built.Key);
        await PushAsync("PK jar bytes v2");
        var resolves = _counting.Resolves;
        var check = new RecordingCheck();

        var again = await AssembleAsync(check);

        Assert.Empty(check.Asked);
        Assert.Equal(TreeOrigin.Built, again.Origin);
        Assert.Equal(resolves + 1, _counting.Resolves);
        Assert.Equal("PK jar bytes v2", File.ReadAllText(Path.Combine(again.Path, "app.jar")));
        Assert.Equal(Assert.Single(again.Sources).ManifestDigest, Assert.Single(_cache.Ledger.Sources(again.Key)!).ManifestDigest);
        Assert.NotNull(_cache.Ledger.LastUsed(again.Key));
    }

    [Fact]
    public async Task Always_resolves_and_finds_the_same_tree_cached_without_asking_the_check()
    {
        await PushAsync("PK jar bytes");
        var built = await AssembleAsync(check: null);
        var check = new RecordingCheck();

        var again = await AssembleAsync(check, PullPolicy.Always);

        Assert.Equal(TreeOrigin.Cached, again.Origin);
        Assert.Equal(built.Key, again.Key);
        Assert.Empty(check.Asked);
    }

    [Fact]
    public async Task A_reference_read_from_a_store_gives_its_spec_to_the_admit_hook_whose_refusal_stops_before_any_source_is_read()
    {
        await PushAsync("PK jar bytes");
        await SpecArtifactBuilder.PushAsync(_store, SpecArtifactBuilder.Build(Spec.Model, null, DateTimeOffset.UnixEpoch), "registry.example/apps/hello-spec:1.0");
        var admitted = new List<string>();

        var refused = await Assert.ThrowsAsync<UnauthorizedAccessException>(() => new TreeAssembler(_cache).AssembleAsync(
            new AssemblyRequest
            {
                Reference = Reference.Parse("registry.example/apps/hello-spec:1.0"),
                Locator = new StoreTargetLocator(_counting, "memory"),
                Admit = spec =>
                {
                    admitted.AddRange(spec.Sources.Select(s => s.Ref));
                    throw new UnauthorizedAccessException("not in this namespace");
                },
            },
            accessCheck: null));

        Assert.Equal("not in this namespace", refused.Message);
        Assert.Equal(["registry.example/apps/hello-jar:1.0"], admitted);
        Assert.Equal(1, _counting.Resolves);
    }

    [Fact]
    public async Task A_request_naming_both_a_spec_and_a_reference_is_refused()
    {
        var thrown = await Assert.ThrowsAsync<ArgumentException>(() => new TreeAssembler(_cache).AssembleAsync(
            new AssemblyRequest { Spec = Spec, Reference = Reference.Parse("registry.example/apps/hello-spec:1.0"), Locator = new StoreTargetLocator(_counting, "memory") },
            accessCheck: null));

        Assert.StartsWith("an assembly request names either a spec or a reference", thrown.Message, StringComparison.Ordinal);
    }

    private sealed class RecordingCheck : IAccessCheck
    {
        public List<IReadOnlyList<TreeSource>> Asked { get; } = [];

        public bool Refuse { get; init; }

        public Task CheckAsync(IReadOnlyList<TreeSource> sources, CancellationToken cancellationToken)
        {
            Asked.Add(sources);
            return Refuse ? throw new UnauthorizedAccessException("refused") : Task.CompletedTask;
        }
    }
}

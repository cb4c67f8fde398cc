using System.Runtime.Versioning;
using OrasAssemble.Cache;
using OrasAssemble.Content;
using OrasAssemble.Execution;
using OrasAssemble.Oci;
using OrasAssemble.Registry;
using OrasAssemble.Spec;
using OrasAssemble.Spec.Validation;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Execution;

[UnsupportedOSPlatform("windows")]
public sealed class WholeArtifactSpecTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly MemoryStore _store = new();

    public void Dispose() => _dir.Dispose();

    private SpecExecutor Executor() => new(
        TreeCache.Open(new CacheOptions { Root = _dir.Combine("cache") }),
        new StoreTargetLocator(_store, "memory"),
        new ExecutorOptions { DefaultPlatform = Platform.Parse("linux/amd64") });

    [Fact]
    public async Task An_artifact_is_extracted_whole_files_and_folders_by_title()
    {
        await ContentBuilder.PushArtifactAsync(_store, "registry.example/apps/bundle:1.0",
            [("app.jar", "jar", "application/java-archive"), ("notes.txt", "notes", "text/plain")],
            [("conf", new TarBuilder().Directory("conf").File("conf/app.properties", "a=1"))]);

        var tree = await Executor().AssembleAsync(WholeArtifactSpec.Create(Reference.Parse("registry.example/apps/bundle:1.0"), []));

        Assert.Equal(new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["app.jar"] = "file 0644 jar",
            ["conf"] = "dir 0755",
            ["conf/app.properties"] = "file 0644 a=1",
            ["notes.txt"] = "file 0644 notes",
        }, TreeSnapshot.Take(tree.Path));
    }

    [Fact]
    public async Task A_media_type_filter_keeps_only_those_layers()
    {
        await ContentBuilder.PushArtifactAsync(_store, "registry.example/apps/bundle:1.0",
            [("app.jar", "jar", "application/java-archive"), ("notes.txt", "notes", "text/plain")]);

        var tree = await Executor().AssembleAsync(
            WholeArtifactSpec.Create(Reference.Parse("registry.example/apps/bundle:1.0"), ["text/plain"]));

        Assert.Equal(["notes.txt"], TreeSnapshot.Take(tree.Path).Keys);
    }

    [Fact]
    public async Task An_image_is_its_layers_applied_in_order()
    {
        await ContentBuilder.PushImageAsync(_store, "registry.example/library/tools:1",
            new TarBuilder().Directory("bin").File("bin/tool", "v1", mode: "755").File("bin/old", "old"),
            new TarBuilder().Whiteout("bin/.wh.old").File("bin/tool", "v2", mode: "755"));

        var tree = await Executor().AssembleAsync(WholeArtifactSpec.Create(Reference.Parse("registry.example/library/tools:1"), []));

        Assert.Equal(new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["bin"] = "dir 0755",
            ["bin/tool"] = "file 0755 v2",
        }, TreeSnapshot.Take(tree.Path));
    }

    [Fact]
    public void A_malformed_media_type_is_refused_naming_it()
    {
        var error = Assert.Throws<InvalidSpecException>(
            () => WholeArtifactSpec.Create(Reference.Parse("registry.example/a:1"), ["not a media type"]));

        Assert.Contains("sources.artifact.mediaTypes[0]", error.Message, StringComparison.Ordinal);
    }
}

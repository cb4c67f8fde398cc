using System.Runtime.Versioning;
using System.Text;
using OrasAssemble.Cache;
using OrasAssemble.Content;
using OrasAssemble.Execution;
using OrasAssemble.Oci;
using OrasAssemble.Registry;
using OrasAssemble.Spec.Model;
using OrasAssemble.Spec.Parsing;
using OrasAssemble.Spec.Validation;
using OrasAssemble.Tests.Spec;
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

    [Fact]
    public void Its_digest_is_that_of_the_same_spec_written_out_so_existing_tree_keys_stay()
    {
        var reference = Reference.Parse("registry.example/apps/bundle@sha256:" + new string('a', 64));

        var spec = WholeArtifactSpec.Create(reference, ["text/plain", "application/java-archive"]);

        const string json = """{"apiVersion":"assemble.oras.land/v1","kind":"Assembly","metadata":{"name":"whole-artifact"},"sources":{"artifact":{"mediaTypes":["text/plain","application/java-archive"],"ref":"registry.example/apps/bundle@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}},"steps":[{"copy":{"from":"artifact","path":"/","to":"/"}}]}""";
        Assert.Equal(json, Encoding.UTF8.GetString(spec.Json.Span));
        var written = SpecDocument.Load(json).GetValidSpec();
        Assert.Equal(written.Digest, spec.Digest);
        Assert.Equal(ValidSpecTests.Describe(written.Steps), ValidSpecTests.Describe(spec.Steps));
        Assert.Same(reference, Assert.Single(spec.Sources).Reference);
    }

    public static TheoryData<string[]> RefusedMediaTypes() => new()
    {
        { ["text/plain", "not a media type"] },
        { ["text/plain", "text/plain"] },
        { ["a/b", "", "c/d"] },
        { ["text/" + new string('x', 250)] },
        { ["bad one", "text/plain", "text/plain", "worse one"] },
        { Enumerable.Range(0, 257).Select(i => $"text/x-{i}").ToArray() },
        { Enumerable.Range(0, 120).Select(i => $"bad {i}").ToArray() },
    };

    [Theory]
    [MemberData(nameof(RefusedMediaTypes))]
    public void Refused_media_types_get_the_errors_validating_the_whole_spec_gives(string[] mediaTypes)
    {
        var model = new AssemblySpec
        {
            Metadata = new SpecMetadata { Name = "whole-artifact" },
            Sources = new Dictionary<string, SourceSpec> { ["artifact"] = new() { Ref = "registry.example/a:1", MediaTypes = mediaTypes } },
            Steps = [new CopyStep { From = "artifact", Path = "/", To = "/" }],
        };

        var error = Assert.Throws<InvalidSpecException>(() => WholeArtifactSpec.Create(Reference.Parse("registry.example/a:1"), mediaTypes));

        Assert.Equal(SpecValidator.Validate(model).Select(e => e.ToString()), error.Errors.Select(e => e.ToString()));
    }
}

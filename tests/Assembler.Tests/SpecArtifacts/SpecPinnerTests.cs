using OrasAssemble.Content;
using OrasAssemble.Execution;
using OrasAssemble.Oci;
using OrasAssemble.Spec;
using OrasAssemble.Spec.Model;
using OrasAssemble.Spec.Parsing;
using OrasAssemble.Spec.Validation;
using OrasAssemble.SpecArtifacts;
using OrasAssemble.Tests.Execution;

namespace OrasAssemble.Tests.SpecArtifacts;

/// <summary>Pinning the base for the annotation, and <c>push --lock</c>'s rewriting of tags to digests.</summary>
public sealed class SpecPinnerTests
{
    private readonly MemoryStore _store = new();

    private SpecPinner Pinner => new(new StoreTargetLocator(_store, "memory"));

    private static AssemblySpec Spec(string baseLines, string sources) => SpecDocument.Load($"""
        apiVersion: assemble.oras.land/v1
        kind: Assembly
        metadata: {"{"} name: pinned {"}"}
        {baseLines}
        sources:
        {sources}
        steps:
          - copy: {"{"} from: app, path: a, to: /a {"}"}
        """).GetValidSpec("test.yaml").Model;

    [Fact]
    public async Task The_base_is_pinned_to_the_digest_its_tag_names_and_keeps_the_tag()
    {
        var amd64 = await ContentBuilder.PushImageAsync(_store, "amd64", new TarBuilder().File("a", "a"));
        var index = await ContentBuilder.PushIndexAsync(_store, "registry.example/library/openjdk:17-jre",
            amd64 with { Platform = Platform.Parse("linux/amd64") });

        var withPlatform = await Pinner.PinBaseAsync(new BaseImageSpec { Image = "registry.example/library/openjdk:17-jre", Platform = "linux/amd64" });
        var withoutPlatform = await Pinner.PinBaseAsync(new BaseImageSpec { Image = "registry.example/library/openjdk:17-jre" });

        Assert.Equal($"registry.example/library/openjdk:17-jre@{index.Digest}", withPlatform);
        Assert.Equal(withPlatform, withoutPlatform);
    }

    [Fact]
    public async Task A_base_index_without_the_spec_platform_is_refused()
    {
        var arm = await ContentBuilder.PushImageAsync(_store, "arm", new TarBuilder().File("a", "a"));
        await ContentBuilder.PushIndexAsync(_store, "registry.example/library/base:1", arm with { Platform = Platform.Parse("linux/arm64") });

        var error = await Assert.ThrowsAsync<AssemblyException>(() =>
            Pinner.PinBaseAsync(new BaseImageSpec { Image = "registry.example/library/base:1", Platform = "linux/amd64" }));

        Assert.Equal("base.image: no manifest for platform linux/amd64 in the index (it offers: linux/arm64)", error.Message);
    }

    [Fact]
    public async Task Lock_rewrites_tags_in_sources_and_base_to_digests_and_leaves_digests_alone()
    {
        var app = await ContentBuilder.PushArtifactAsync(_store, "registry.example/apps/app:1.0", [("a", "a", "text/plain")]);
        var image = await ContentBuilder.PushImageAsync(_store, "docker.io/library/busybox:1.36", new TarBuilder().File("a", "a"));
        var other = await ContentBuilder.PushArtifactAsync(_store, "other", [("b", "b", "text/plain")]);
        var spec = SpecDocument.Load($"""
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: {"{"} name: pinned {"}"}
            base: {"{"} image: busybox:1.36 {"}"}
            sources:
              app: {"{"} ref: registry.example/apps/app:1.0, mediaTypes: [text/plain] {"}"}
              fixed: {"{"} ref: "registry.example/apps/fixed:2@{other.Digest}" {"}"}
            steps:
              - copy: {"{"} from: app, path: a, to: /a {"}"}
              - copy: {"{"} from: fixed, path: b, to: /b {"}"}
            """).GetValidSpec("test.yaml").Model;

        var locked = await Pinner.LockAsync(spec);

        Assert.Equal($"registry.example/apps/app@{app.Digest}", locked.Sources["app"].Ref);
        Assert.Equal(["text/plain"], locked.Sources["app"].MediaTypes);
        Assert.Equal($"registry.example/apps/fixed:2@{other.Digest}", locked.Sources["fixed"].Ref);
        Assert.Equal($"docker.io/library/busybox@{image.Digest}", locked.Base!.Image);
        Assert.Equal(["app", "fixed"], locked.Sources.Keys);
        Assert.Empty(SpecValidator.Validate(locked));
    }

    [Fact]
    public async Task A_source_that_cannot_be_resolved_names_its_field()
    {
        var spec = Spec("", "  app: { ref: registry.example/apps/missing:1 }");

        var error = await Assert.ThrowsAsync<AssemblyException>(() => Pinner.LockAsync(spec));

        Assert.Equal("sources.app.ref", error.Path);
        Assert.Contains("registry.example/apps/missing:1", error.Message, StringComparison.Ordinal);
    }
}

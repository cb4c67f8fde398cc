using System.Text;
using OrasAssemble.Content;
using OrasAssemble.Execution;
using OrasAssemble.Oci;
using OrasAssemble.Spec;
using OrasAssemble.Spec.Parsing;
using OrasAssemble.SpecArtifacts;
using OrasAssemble.Tests.Execution;

namespace OrasAssemble.Tests.SpecArtifacts;

/// <summary>The rebase guard's platform rules and the history walk, on an in-memory store.</summary>
public sealed class SpecRebaserTests
{
    private static readonly DateTimeOffset Pushed = new(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);

    private readonly MemoryStore _store = new();

    private SpecRebaser Rebaser => new(new StoreTargetLocator(_store, "memory"));

    [Fact]
    public async Task The_old_base_is_read_where_it_was_pinned_even_when_its_tag_has_moved()
    {
        await PushImageAsync("registry.example/base:1", "linux/amd64", "old");
        var previous = await PushSpecAsync("registry.example/base:1", platform: null);
        // The tag now names an arm64 image; the revision still runs on the amd64 one it pinned.
        await PushImageAsync("registry.example/base:1", "linux/arm64", "moved");
        await PushImageAsync("registry.example/other:2", "linux/arm64", "other");

        var error = await Assert.ThrowsAsync<BasePlatformMismatchException>(() =>
            Rebaser.RebaseAsync(previous, "registry.example/other:2", force: false, Pushed.AddDays(1)));

        Assert.Contains("it provides linux/arm64, not linux/amd64, the platform of the current base registry.example/base:1@sha256:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_arm64_image_without_a_variant_provides_arm64_v8()
    {
        await PushImageAsync("registry.example/base:1", "linux/arm64/v8", "old");
        var previous = await PushSpecAsync("registry.example/base:1", platform: "linux/arm64/v8");
        var next = await PushImageAsync("registry.example/base:2", "linux/arm64", "new");

        var rebased = await Rebaser.RebaseAsync(previous, "registry.example/base:2", force: false, Pushed.AddDays(1));

        Assert.Equal([Platform.Parse("linux/arm64/v8")], rebased.CheckedPlatforms);
        Assert.Equal($"registry.example/base:2@{next.Digest}", rebased.PinnedBase);
        Assert.Equal(previous.ManifestDescriptor.Basic(), rebased.Artifact.Manifest.Subject);
        Assert.Equal("registry.example/base:2", rebased.Artifact.Spec.Model.Base!.Image);
        Assert.Equal("2026-11-23T10:00:00Z", rebased.Artifact.Manifest.Annotations![Annotations.Created]);
    }

    [Fact]
    public async Task A_multi_platform_base_must_be_replaced_by_one_offering_every_platform()
    {
        var amd = await PushImageAsync("amd", "linux/amd64", "a");
        var arm = await PushImageAsync("arm", "linux/arm64", "b");
        await ContentBuilder.PushIndexAsync(_store, "registry.example/base:1",
            amd with { Platform = Platform.Parse("linux/amd64") }, arm with { Platform = Platform.Parse("linux/arm64") });
        var previous = await PushSpecAsync("registry.example/base:1", platform: null);
        await PushImageAsync("registry.example/amd-only:1", "linux/amd64", "c");

        var refused = await Assert.ThrowsAsync<BasePlatformMismatchException>(() =>
            Rebaser.RebaseAsync(previous, "registry.example/amd-only:1", force: false, Pushed));
        var forced = await Rebaser.RebaseAsync(previous, "registry.example/amd-only:1", force: true, Pushed);

        Assert.Contains("it provides linux/amd64, not linux/arm64,", refused.Message, StringComparison.Ordinal);
        Assert.Empty(forced.CheckedPlatforms);
    }

    [Fact]
    public async Task A_new_base_that_cannot_be_resolved_names_the_flag()
    {
        await PushImageAsync("registry.example/base:1", "linux/amd64", "old");
        var previous = await PushSpecAsync("registry.example/base:1", platform: null);

        var error = await Assert.ThrowsAsync<AssemblyException>(() => Rebaser.RebaseAsync(previous, "registry.example/missing:1", force: true, Pushed));

        Assert.Equal("--base", error.Path);
    }

    [Fact]
    public async Task History_walks_subject_back_and_says_where_a_deleted_predecessor_ends_it()
    {
        await PushImageAsync("registry.example/base:1", "linux/amd64", "1");
        await PushImageAsync("registry.example/base:2", "linux/amd64", "2");
        await PushImageAsync("registry.example/base:3", "linux/amd64", "3");
        var first = await PushSpecAsync("registry.example/base:1", platform: null);
        var second = await PushAsync((await Rebaser.RebaseAsync(first, "registry.example/base:2", false, Pushed.AddDays(1))).Artifact);
        var third = await PushAsync((await Rebaser.RebaseAsync(second, "registry.example/base:3", false, Pushed.AddDays(2))).Artifact);

        var whole = await SpecHistory.WalkAsync(_store, third, "spec");
        var successors = await SpecHistory.SuccessorsAsync(_store, first.ManifestDescriptor);
        await _store.DeleteAsync(first.ManifestDescriptor);
        var broken = await SpecHistory.WalkAsync(_store, third, "spec");

        Assert.Equal([third.ManifestDescriptor.Digest, second.ManifestDescriptor.Digest, first.ManifestDescriptor.Digest],
            whole.Revisions.Select(r => r.Descriptor.Digest));
        Assert.Equal(["2026-11-24T10:00:00Z", "2026-11-23T10:00:00Z", "2026-11-22T10:00:00Z"], whole.Revisions.Select(r => r.Created));
        Assert.StartsWith("registry.example/base:3@sha256:", whole.Revisions[0].Base, StringComparison.Ordinal);
        Assert.Null(whole.BrokenAt);
        Assert.Equal([second.ManifestDescriptor.Digest], successors.Select(r => r.Descriptor.Digest));
        Assert.Equal(2, broken.Revisions.Count);
        Assert.Equal(new SpecLineageEnd(first.ManifestDescriptor.Basic(), "it is no longer in the repository"), broken.BrokenAt);
    }

    private async Task<Descriptor> PushImageAsync(string tag, string platform, string marker)
    {
        var parsed = Platform.Parse(platform);
        var layer = await _store.PushBytesAsync(MediaTypes.ImageLayerGzip, new TarBuilder().File("marker", marker).ToGzip());
        var variant = parsed.Variant is null ? "" : $",\"variant\":\"{parsed.Variant}\"";
        var config = await _store.PushBytesAsync(MediaTypes.ImageConfig,
            Encoding.UTF8.GetBytes($"{{\"architecture\":\"{parsed.Architecture}\",\"os\":\"{parsed.Os}\"{variant},\"rootfs\":{{\"type\":\"layers\",\"diff_ids\":[]}}}}"));
        return await ContentBuilder.PushManifestAsync(_store, tag, new Manifest { Config = config, Layers = [layer] });
    }

    private async Task<SpecArtifactContent> PushSpecAsync(string baseImage, string? platform)
    {
        var spec = SpecDocument.Load($$"""
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: hello }
            base: { image: "{{baseImage}}"{{(platform is null ? "" : $", platform: {platform}")}} }
            sources:
              app: { ref: registry.example/app:1 }
            steps:
              - copy: { from: app, path: a, to: /a }
            """).GetValidSpec("test.yaml").Model;
        var pinned = await new SpecPinner(new StoreTargetLocator(_store, "memory")).PinBaseAsync(spec.Base!);
        return await PushAsync(SpecArtifactBuilder.Build(spec, pinned, Pushed));
    }

    private async Task<SpecArtifactContent> PushAsync(SpecArtifactContent artifact)
    {
        await SpecArtifactBuilder.PushAsync(_store, artifact, tag: null);
        return artifact;
    }
}

using System.Text;
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

/// <summary>The spec artifact as spec/assembly-spec.md describes it, written and read back through a store.</summary>
public sealed class SpecArtifactTests
{
    private const string Pinned = "registry.example/library/openjdk:17-jre@sha256:7c1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f";
    private static readonly DateTimeOffset Created = new(2026, 11, 22, 10, 15, 0, 250, TimeSpan.FromHours(2));

    private readonly MemoryStore _store = new();

    private static AssemblySpec Spec(string extra = "") => SpecDocument.Load($$"""
        apiVersion: assemble.oras.land/v1
        kind: Assembly
        metadata: { name: hello-java }
        {{extra}}
        sources:
          app: { ref: registry.example/apps/hello-jar:1.0 }
        steps:
          - copy: { from: app, path: app.jar, to: /app.jar }
        """).GetValidSpec("test.yaml").Model;

    private static AssemblySpec FullSpec() => Spec("""
        base: { image: registry.example/library/openjdk:17-jre, platform: linux/amd64 }
        mount: { path: /app }
        """);

    [Fact]
    public void The_manifest_has_the_artifact_type_empty_config_one_titled_layer_and_summary_annotations()
    {
        var spec = FullSpec();

        var artifact = SpecArtifactBuilder.Build(spec, Pinned, Created);

        var manifest = OciJson.Deserialize<Manifest>(artifact.ManifestBytes, "manifest");
        Assert.Equal(2, manifest.SchemaVersion);
        Assert.Equal(MediaTypes.ImageManifest, manifest.MediaType);
        Assert.Equal("application/vnd.oras-assemble.spec.v1", manifest.ArtifactType);
        Assert.Equal(Descriptor.Empty, manifest.Config);
        var layer = Assert.Single(manifest.Layers);
        Assert.Equal("application/vnd.oras-assemble.spec.v1+json", layer.MediaType);
        Assert.Equal(new Dictionary<string, string> { ["org.opencontainers.image.title"] = "assembly.json" }, layer.Annotations);
        Assert.Equal(SpecJson.Serialize(spec), artifact.LayerBytes);
        Assert.Equal(Descriptor.Create(artifact.LayerBytes, layer.MediaType).Digest, layer.Digest);
        Assert.Equal(new Dictionary<string, string>
        {
            ["land.oras.assemble.base"] = Pinned,
            ["land.oras.assemble.mount-path"] = "/app",
            ["org.opencontainers.image.created"] = "2026-11-22T08:15:00Z",
            ["org.opencontainers.image.title"] = "hello-java",
        }, manifest.Annotations);
        Assert.Null(manifest.Subject);
        Assert.Equal(Descriptor.Create(artifact.ManifestBytes, MediaTypes.ImageManifest), artifact.ManifestDescriptor);
    }

    [Fact]
    public void Without_base_and_mount_only_title_and_time_are_annotated()
    {
        var artifact = SpecArtifactBuilder.Build(Spec(), null, Created);

        Assert.Equal(["org.opencontainers.image.created", "org.opencontainers.image.title"], artifact.Manifest.Annotations!.Keys);
    }

    [Fact]
    public void A_base_that_is_not_pinned_by_digest_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => SpecArtifactBuilder.Build(FullSpec(), "registry.example/library/openjdk:17-jre", Created));

        Assert.StartsWith("the base image must be given pinned by digest", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_base_left_unpinned_is_not_annotated_and_stays_in_the_spec()
    {
        var artifact = SpecArtifactBuilder.Build(FullSpec(), null, Created);

        Assert.DoesNotContain(SpecArtifact.BaseAnnotation, artifact.Manifest.Annotations!.Keys);
        Assert.Equal(FullSpec().Base, SpecJson.Deserialize(artifact.LayerBytes).Model.Base);
    }

    [Fact]
    public void An_invalid_spec_is_not_built()
    {
        var spec = Spec() with { Mount = new MountSpec { Path = "relative" } };

        var error = Assert.Throws<InvalidSpecException>(() => SpecArtifactBuilder.Build(spec, null, Created));

        Assert.Equal("mount.path", Assert.Single(error.Errors).Path);
    }

    [Fact]
    public async Task A_pushed_spec_reads_back_with_the_same_bytes_and_the_same_spec()
    {
        var spec = FullSpec();
        var artifact = SpecArtifactBuilder.Build(spec, Pinned, Created);

        var pushed = await SpecArtifactBuilder.PushAsync(_store, artifact, "registry.example/apps/hello-spec:1.0");
        var read = await SpecArtifactReader.ReadAsync(_store, "registry.example/apps/hello-spec:1.0", "hello-spec");

        Assert.Equal(artifact.ManifestDescriptor, pushed);
        Assert.Equal(pushed, read.ManifestDescriptor);
        Assert.Equal(artifact.ManifestBytes, read.ManifestBytes);
        Assert.Equal(artifact.LayerBytes, read.LayerBytes);
        Assert.Equal(SpecJson.Serialize(spec), SpecJson.Serialize(read.Spec.Model));
        Assert.True(SpecArtifactReader.IsSpecArtifact(read.Manifest));
    }

    [Fact]
    public async Task An_ordinary_artifact_is_not_a_spec()
    {
        await ContentBuilder.PushArtifactAsync(_store, "files", [("a.txt", "a", "text/plain")]);

        var error = await Assert.ThrowsAsync<NotASpecArtifactException>(() => SpecArtifactReader.ReadAsync(_store, "files", "example/files:1"));

        Assert.Equal(
            "example/files:1: this is not an assembly spec: its artifact type is application/vnd.example.files, not application/vnd.oras-assemble.spec.v1",
            error.Message);
    }

    [Fact]
    public async Task An_image_and_an_index_are_not_specs()
    {
        var image = await ContentBuilder.PushImageAsync(_store, "image", new TarBuilder().File("a", "a"));
        await ContentBuilder.PushIndexAsync(_store, "index", image);

        var fromImage = await Assert.ThrowsAsync<NotASpecArtifactException>(() => SpecArtifactReader.ReadAsync(_store, "image", "img"));
        var fromIndex = await Assert.ThrowsAsync<NotASpecArtifactException>(() => SpecArtifactReader.ReadAsync(_store, "index", "idx"));

        Assert.Equal(
            "img: this is not an assembly spec: it has no artifact type (its config is application/vnd.oci.image.config.v1+json), not application/vnd.oras-assemble.spec.v1",
            fromImage.Message);
        Assert.Equal("idx: this is an image index (application/vnd.oci.image.index.v1+json), not an assembly spec", fromIndex.Message);
    }

    [Fact]
    public async Task A_spec_manifest_without_exactly_one_spec_layer_is_refused()
    {
        var artifact = SpecArtifactBuilder.Build(Spec(), null, Created);
        await SpecArtifactBuilder.PushAsync(_store, artifact, "good");
        await ContentBuilder.PushManifestAsync(_store, "none", artifact.Manifest with { Layers = [] });
        await ContentBuilder.PushManifestAsync(_store, "two", artifact.Manifest with { Layers = [artifact.Layer, artifact.Layer] });

        var none = await Assert.ThrowsAsync<NotASpecArtifactException>(() => SpecArtifactReader.ReadAsync(_store, "none", "none"));
        var two = await Assert.ThrowsAsync<NotASpecArtifactException>(() => SpecArtifactReader.ReadAsync(_store, "two", "two"));

        Assert.EndsWith("exactly one layer of type application/vnd.oras-assemble.spec.v1+json; this one has 0", none.Message, StringComparison.Ordinal);
        Assert.EndsWith("this one has 2", two.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_spec_layer_over_one_mebibyte_is_refused_before_it_is_fetched()
    {
        var artifact = SpecArtifactBuilder.Build(Spec(), null, Created);
        var huge = artifact.Layer with { Size = SpecLimits.MaxBytes + 1 };
        await _store.EnsureEmptyConfigAsync();
        await ContentBuilder.PushManifestAsync(_store, "huge", artifact.Manifest with { Layers = [huge] });
        var counting = new CountingTarget(_store);

        var error = await Assert.ThrowsAsync<NotASpecArtifactException>(() => SpecArtifactReader.ReadAsync(counting, "huge", "huge"));

        Assert.Equal("huge: the spec layer is 1048577 bytes; the limit is 1048576", error.Message);
        Assert.Equal(0, counting.FetchesOf(huge.Digest));
    }

    [Fact]
    public async Task A_layer_that_is_not_a_valid_spec_reports_every_error_against_the_reference()
    {
        var bad = Encoding.UTF8.GetBytes("""{"apiVersion":"assemble.oras.land/v1","kind":"Assembly","metadata":{"name":"Bad"},"sources":{},"steps":[]}""");
        var layer = await _store.PushBytesAsync(SpecArtifact.LayerMediaType, bad);
        var artifact = SpecArtifactBuilder.Build(Spec(), null, Created);
        await _store.EnsureEmptyConfigAsync();
        await ContentBuilder.PushManifestAsync(_store, "bad", artifact.Manifest with { Layers = [layer] });

        var error = await Assert.ThrowsAsync<InvalidSpecException>(() => SpecArtifactReader.ReadAsync(_store, "bad", "registry.example/bad:1"));

        Assert.Equal("registry.example/bad:1", error.File);
        Assert.Contains(error.Errors, e => e.Path == "metadata.name");
        Assert.All(error.Errors, e => Assert.Equal(1, e.Line));
    }
}

using System.Text;
using System.Text.RegularExpressions;
using OrasAssemble.CsiNode.Csi;
using Grpc.Core;
using OrasAssemble.Content;
using OrasAssemble.CsiNode.Publishing;
using OrasAssemble.CsiNode.Tests.TestSupport;
using OrasAssemble.Oci;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Spec;
using OrasAssemble.Spec.Model;
using OrasAssemble.Spec.Parsing;
using OrasAssemble.SpecArtifacts;
using OrasAssemble.Tests.Execution;
using OrasAssemble.Tests.Fixtures;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.CsiNode.Tests.Services;

/// <summary>NodePublishVolume and NodeUnpublishVolume as kubelet calls them, against a real registry and real mounts.</summary>
public sealed class NodePublishTests(AnonymousRegistryFixture fixture) : IClassFixture<AnonymousRegistryFixture>, IAsyncLifetime
{
    private readonly RegistryClient _registry = new(new RegistryClientOptions { Hosts = TestHosts.PlainHttp });
    private PluginUnderTest? _plugin;

    private RegistryServer Server => fixture.Server;

    private PluginUnderTest Plugin => _plugin!;

    private KubeletClient Kubelet => Plugin.Kubelet;

    public async Task InitializeAsync() => _plugin = await PluginUnderTest.StartAsync();

    public async Task DisposeAsync()
    {
        if (_plugin is not null)
        {
            await _plugin.DisposeAsync();
        }

        _registry.Dispose();
    }

    private static Dictionary<string, string> Volume(string reference) => new() { [VolumeContextKeys.Reference] = reference };

    private int BlobGets(string prefix) => Server.Count("GET", new Regex($"^/v2/{prefix}/[a-z]+/blobs/sha256:"));

    [Fact]
    public async Task A_spec_is_assembled_and_bind_mounted_read_only_with_exactly_its_files()
    {
        var spec = await SampleContent.PushSpecAsync(_registry, Server.Host, "exact");

        var target = await Kubelet.PublishAsync(TestPod.Create("web-0"), Volume(spec));

        Assert.True(MountTable.IsMountPoint(target));
        Assert.Contains("ro", MountTable.Options(target).Split(','));
        Assert.Equal(SampleContent.ExpectedTree, TreeSnapshot.Take(target));
        var write = Assert.ThrowsAny<IOException>(() => File.WriteAllText(Path.Combine(target, "new.txt"), "x"));
        Assert.Contains("Read-only file system", write.Message, StringComparison.Ordinal);
        Assert.ThrowsAny<IOException>(() => File.AppendAllText(Path.Combine(target, "app.jar"), "x"));
        Assert.Equal("jar bytes", await File.ReadAllTextAsync(Path.Combine(target, "app.jar")));
    }

    [Fact]
    public async Task A_second_pod_is_served_from_the_cache_without_fetching_a_blob()
    {
        var spec = await SampleContent.PushSpecAsync(_registry, Server.Host, "second");
        var first = await Kubelet.PublishAsync(TestPod.Create("web-0"), Volume(spec));
        Assert.Equal(SampleContent.BlobCount, BlobGets("second"));
        Server.ClearRequests();

        var second = await Kubelet.PublishAsync(TestPod.Create("web-1"), Volume(spec));

        Assert.Equal(0, BlobGets("second"));
        Assert.NotEqual(first, second);
        Assert.True(MountTable.IsMountPoint(first));
        Assert.True(MountTable.IsMountPoint(second));
        Assert.Equal(SampleContent.ExpectedTree, TreeSnapshot.Take(second));
    }

    [Fact]
    public async Task Unpublish_unmounts_and_removes_the_target_and_keeps_the_cached_tree()
    {
        var spec = await SampleContent.PushSpecAsync(_registry, Server.Host, "unpublish");
        var pod = TestPod.Create("web-0");
        var target = await Kubelet.PublishAsync(pod, Volume(spec));
        var trees = Directory.GetDirectories(Path.Combine(Plugin.Root, "trees"));

        await Kubelet.UnpublishAsync(pod);

        Assert.False(MountTable.IsMountPoint(target));
        Assert.False(Directory.Exists(target));
        Assert.Equal(trees, Directory.GetDirectories(Path.Combine(Plugin.Root, "trees")));
        Assert.Equal(SampleContent.ExpectedTree, TreeSnapshot.Take(Assert.Single(trees)));
    }

    [Fact]
    public async Task Publishing_the_same_volume_to_the_same_target_again_is_ok_and_mounts_once()
    {
        var spec = await SampleContent.PushSpecAsync(_registry, Server.Host, "again");
        var pod = TestPod.Create("web-0");
        var target = await Kubelet.PublishAsync(pod, Volume(spec));

        await Kubelet.PublishAsync(pod, Volume(spec));

        Assert.Equal(1, MountTable.MountsAt(target));
    }

    [Fact]
    public async Task Another_volume_on_a_published_target_is_already_exists()
    {
        var spec = await SampleContent.PushSpecAsync(_registry, Server.Host, "conflict");
        var pod = TestPod.Create("web-0");
        var request = Kubelet.PublishRequest(pod, Volume(spec));
        await Kubelet.PublishAsync(request);
        request.VolumeId = "csi-another-volume";

        var thrown = await Assert.ThrowsAsync<GrpcCallException>(() => Kubelet.PublishAsync(request));

        Assert.Equal(StatusCode.AlreadyExists, thrown.Status);
        Assert.Equal(1, MountTable.MountsAt(request.TargetPath));
    }

    [Fact]
    public async Task Unpublishing_an_unknown_or_already_unpublished_target_is_ok_and_leaves_no_directory()
    {
        var spec = await SampleContent.PushSpecAsync(_registry, Server.Host, "twice");
        var pod = TestPod.Create("web-0");
        var target = await Kubelet.PublishAsync(pod, Volume(spec));
        await Kubelet.UnpublishAsync(pod);
        var stranger = TestPod.Create("never-published");
        var strangerTarget = Kubelet.TargetPath(stranger.Uid, stranger.VolumeName);
        Directory.CreateDirectory(strangerTarget);

        await Kubelet.UnpublishAsync(pod);
        await Kubelet.UnpublishAsync(stranger);
        await Kubelet.UnpublishAsync(TestPod.Create("no-directory-at-all"));

        Assert.False(Directory.Exists(target));
        Assert.False(Directory.Exists(strangerTarget));
    }

    [Fact]
    public async Task Fifty_concurrent_publishes_of_an_uncached_spec_fetch_each_blob_once_and_make_fifty_mounts()
    {
        var spec = await SampleContent.PushSpecAsync(_registry, Server.Host, "crowd");
        var pods = Enumerable.Range(0, 50).Select(i => TestPod.Create($"job-{i}")).ToList();
        Server.ClearRequests();

        var targets = await Task.WhenAll(pods.Select(pod => Task.Run(() => Kubelet.PublishAsync(pod, Volume(spec)))));

        var blobGets = Server.Requests
            .Where(r => r.Method == "GET" && r.StatusCode == 200 && r.PathWithoutQuery.Contains("/blobs/", StringComparison.Ordinal))
            .GroupBy(r => r.PathWithoutQuery)
            .ToList();
        Assert.Equal(SampleContent.BlobCount, blobGets.Count);
        Assert.All(blobGets, g => Assert.Single(g));
        Assert.Equal(50, targets.Distinct().Count());
        Assert.All(targets, t => Assert.True(MountTable.IsMountPoint(t)));
        Assert.Equal(SampleContent.ExpectedTree, TreeSnapshot.Take(targets[^1]));

        await Task.WhenAll(pods.Select(pod => Kubelet.UnpublishAsync(pod)));
        Assert.All(targets, t => Assert.False(Directory.Exists(t)));
    }

    [Fact]
    public async Task A_plain_ORAS_artifact_is_extracted_whole_and_the_media_type_filter_keeps_only_those_layers()
    {
        var files = await SampleContent.PushFilesAsync(_registry, Server.Host, "plain/files");

        var all = await Kubelet.PublishAsync(TestPod.Create("all"), Volume(files));
        var filtered = await Kubelet.PublishAsync(TestPod.Create("filtered"), new Dictionary<string, string>
        {
            [VolumeContextKeys.Reference] = files,
            [VolumeContextKeys.LayerMediaTypes] = "application/vnd.example.model, text/markdown",
        });

        Assert.Equal(new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["README.md"] = "file 0644 read me",
            ["data"] = "dir 0755",
            ["data/a.csv"] = "file 0644 1,2",
            ["model.bin"] = "file 0644 weights",
        }, TreeSnapshot.Take(all));
        Assert.Equal(["README.md", "model.bin"], TreeSnapshot.Take(filtered).Keys);
    }

    [Fact]
    public async Task A_container_image_is_extracted_whole_with_its_whiteouts()
    {
        await ContentBuilder.PushImageAsync(_registry.GetRepository($"{Server.Host}/images/busy"), "1",
            new TarBuilder().Directory("bin").File("bin/sh", "shell", mode: "755").File("bin/gone", "x"),
            new TarBuilder().Whiteout("bin/.wh.gone"));

        var target = await Kubelet.PublishAsync(TestPod.Create("image"), Volume($"{Server.Host}/images/busy:1"));

        Assert.Equal(new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["bin"] = "dir 0755",
            ["bin/sh"] = "file 0755 shell",
        }, TreeSnapshot.Take(target));
    }

    [Fact]
    public async Task An_inline_spec_is_assembled_from_the_volume_attribute()
    {
        var files = await SampleContent.PushFilesAsync(_registry, Server.Host, "inline/files");

        var target = await Kubelet.PublishAsync(TestPod.Create("inline"), new Dictionary<string, string>
        {
            [VolumeContextKeys.InlineSpec] = $$$"""
                {"apiVersion": "assemble.oras.land/v1", "kind": "Assembly", "metadata": {"name": "inline"},
                 "sources": {"files": {"ref": "{{{files}}}"}},
                 "steps": [{"copy": {"from": "files", "path": "model.bin", "to": "/models/m.bin"}}]}
                """,
        });

        Assert.Equal(["models", "models/m.bin"], TreeSnapshot.Take(target).Keys);
    }

    [Fact]
    public async Task Volume_stats_are_the_bytes_and_inodes_of_the_mounted_tree()
    {
        var spec = await SampleContent.PushSpecAsync(_registry, Server.Host, "stats");
        var pod = TestPod.Create("web-0");
        await Kubelet.PublishAsync(pod, Volume(spec));

        var stats = await Kubelet.StatsAsync(pod);

        var bytes = stats.Usage.Single(u => u.Unit == VolumeUsage.Types.Unit.Bytes);
        var inodes = stats.Usage.Single(u => u.Unit == VolumeUsage.Types.Unit.Inodes);
        Assert.Equal("jar bytes".Length + "tool v2".Length + "greeting=hello".Length, bytes.Used);
        Assert.Equal(bytes.Used, bytes.Total);
        Assert.Equal(SampleContent.ExpectedTree.Count + 1, inodes.Used);
        await Kubelet.UnpublishAsync(pod);
        var gone = await Assert.ThrowsAsync<GrpcCallException>(() => Kubelet.StatsAsync(pod));
        Assert.Equal(StatusCode.NotFound, gone.Status);
    }

    [Fact]
    public async Task An_unknown_reference_is_not_found_and_leaves_no_target()
    {
        var pod = TestPod.Create("missing");

        var thrown = await Assert.ThrowsAsync<GrpcCallException>(() => Kubelet.PublishAsync(pod, Volume($"{Server.Host}/nothing/here:1.0")));

        Assert.Equal(StatusCode.NotFound, thrown.Status);
        Assert.Contains("nothing/here", thrown.Detail, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Kubelet.TargetPath(pod.Uid, pod.VolumeName)));
    }

    [Fact]
    public async Task A_spec_whose_source_is_missing_is_not_found_naming_the_source()
    {
        await SpecArtifactPusher.PushAsync(_registry.GetRepository($"{Server.Host}/broken/spec"), "1.0", $$"""
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: broken }
            sources:
              app: { ref: {{Server.Host}}/broken/absent:1.0 }
            steps:
              - copy: { from: app, path: app.jar, to: /app.jar }
            """);

        var thrown = await Assert.ThrowsAsync<GrpcCallException>(() => Kubelet.PublishAsync(TestPod.Create("broken"), Volume($"{Server.Host}/broken/spec:1.0")));

        Assert.Equal(StatusCode.NotFound, thrown.Status);
        Assert.StartsWith("sources.app:", thrown.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_moved_tag_keeps_the_cached_content_with_IfNotPresent_and_gets_the_new_content_with_Always()
    {
        var repository = _registry.GetRepository($"{Server.Host}/moving/files");
        await ContentBuilder.PushArtifactAsync(repository, "latest", [("a.txt", "one", "text/plain")]);
        var reference = $"{Server.Host}/moving/files:latest";
        var first = await Kubelet.PublishAsync(TestPod.Create("first"), Volume(reference));
        await ContentBuilder.PushArtifactAsync(repository, "latest", [("a.txt", "two", "text/plain")]);

        var cached = await Kubelet.PublishAsync(TestPod.Create("cached"), Volume(reference));
        var always = await Kubelet.PublishAsync(TestPod.Create("always"), new Dictionary<string, string>
        {
            [VolumeContextKeys.Reference] = reference,
            [VolumeContextKeys.PullPolicy] = "Always",
        });
        var seedSpelling = await Kubelet.PublishAsync(TestPod.Create("seed"), new Dictionary<string, string>
        {
            [VolumeContextKeys.Reference] = reference,
            [VolumeContextKeys.PullAlways] = "true",
        });

        Assert.Equal("one", await File.ReadAllTextAsync(Path.Combine(first, "a.txt")));
        Assert.Equal("one", await File.ReadAllTextAsync(Path.Combine(cached, "a.txt")));
        Assert.Equal("two", await File.ReadAllTextAsync(Path.Combine(always, "a.txt")));
        Assert.Equal("two", await File.ReadAllTextAsync(Path.Combine(seedSpelling, "a.txt")));
    }

    [Theory]
    [InlineData("dot", "conf/./app.properties", "has a \".\" segment")]
    [InlineData("empty", "conf//app.properties", "has an empty segment")]
    public async Task An_artifact_whose_title_the_spec_does_not_allow_is_invalid_argument_and_mounts_nothing(string name, string title, string reason)
    {
        await ContentBuilder.PushArtifactAsync(_registry.GetRepository($"{Server.Host}/titles/{name}"), "1", [(title, "port=8080", "text/plain")]);
        var pod = TestPod.Create(name);

        var thrown = await Assert.ThrowsAsync<GrpcCallException>(() => Kubelet.PublishAsync(pod, Volume($"{Server.Host}/titles/{name}:1")));

        Assert.Equal(StatusCode.InvalidArgument, thrown.Status);
        Assert.EndsWith($"the title \"{title}\" {reason}", thrown.Detail, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Kubelet.TargetPath(pod.Uid, pod.VolumeName)));
        Assert.Empty(Directory.EnumerateDirectories(Path.Combine(Plugin.Root, "trees")));
    }

    [Fact]
    public async Task A_spec_artifact_without_exactly_one_spec_layer_is_invalid_argument_as_the_spec_reader_words_it()
    {
        var repository = _registry.GetRepository($"{Server.Host}/doubled/spec");
        var spec = SpecDocument.Load("""
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: doubled }
            sources:
              app: { ref: registry.example/apps/app:1.0 }
            steps:
              - copy: { from: app, path: app.jar, to: /app.jar }
            """).GetValidSpec("doubled").Model;
        var artifact = SpecArtifactBuilder.Build(spec, null, DateTimeOffset.UnixEpoch);
        await SpecArtifactBuilder.PushAsync(repository, artifact, "one");
        await ContentBuilder.PushManifestAsync(repository, "two", artifact.Manifest with { Layers = [artifact.Layer, artifact.Layer] });
        var pod = TestPod.Create("doubled");

        var thrown = await Assert.ThrowsAsync<GrpcCallException>(() => Kubelet.PublishAsync(pod, Volume($"{Server.Host}/doubled/spec:two")));

        Assert.Equal(StatusCode.InvalidArgument, thrown.Status);
        Assert.Equal(
            $"{Server.Host}/doubled/spec:two: an assembly spec has exactly one layer of type application/vnd.oras-assemble.spec.v1+json; this one has 2",
            thrown.Detail);
        Assert.False(Directory.Exists(Kubelet.TargetPath(pod.Uid, pod.VolumeName)));
    }

    [Fact]
    public async Task A_spec_artifact_whose_layer_is_not_a_valid_spec_is_invalid_argument_naming_the_field()
    {
        var repository = _registry.GetRepository($"{Server.Host}/broken/layer");
        var broken = Encoding.UTF8.GetBytes("""{"apiVersion":"assemble.oras.land/v1","kind":"Assembly","metadata":{"name":"x"},"mount":{"path":"relative"},"sources":{},"steps":[]}""");
        var layer = await repository.PushBytesAsync(SpecArtifact.LayerMediaType, broken);
        await repository.PushBytesAsync(MediaTypes.Empty, "{}"u8.ToArray());
        await ContentBuilder.PushManifestAsync(repository, "1.0", new Manifest
        {
            ArtifactType = SpecArtifact.ArtifactType,
            Config = Descriptor.Empty with { Data = null },
            Layers = [layer],
        });

        var thrown = await Assert.ThrowsAsync<GrpcCallException>(() => Kubelet.PublishAsync(TestPod.Create("broken-layer"), Volume($"{Server.Host}/broken/layer:1.0")));

        Assert.Equal(StatusCode.InvalidArgument, thrown.Status);
        Assert.StartsWith("invalid assembly spec (", thrown.Detail, StringComparison.Ordinal);
        Assert.Contains($"{Server.Host}/broken/layer:1.0", thrown.Detail, StringComparison.Ordinal);
        Assert.Contains("mount.path", thrown.Detail, StringComparison.Ordinal);
    }
}

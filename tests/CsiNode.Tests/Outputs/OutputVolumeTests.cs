using System.Formats.Tar;
using System.Text.RegularExpressions;
using Grpc.Core;
using OrasAssemble.CsiNode.Csi;
using OrasAssemble.CsiNode.Publishing;
using OrasAssemble.CsiNode.Tests.TestSupport;
using OrasAssemble.Oci;
using OrasAssemble.Tests.Containers;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Tests.Execution;
using OrasAssemble.Tests.Fixtures;
using OrasAssemble.Tests.TestSupport;
using static OrasAssemble.CsiNode.Tests.Outputs.OutputVolumeDriver;

namespace OrasAssemble.CsiNode.Tests.Outputs;

/// <summary>Output volumes as kubelet publishes and unpublishes them, with real bind mounts, pushed to a real registry.</summary>
public sealed class OutputVolumeTests(AnonymousRegistryFixture fixture) : IClassFixture<AnonymousRegistryFixture>, IAsyncLifetime
{
    private const string Config = PluginUnderTest.DefaultConfig + """

        outputs: { retryInitial: 200ms, retryMax: 1s, maxBytes: 160Mi }
        """;

    private readonly RegistryClient _registry = new(new RegistryClientOptions { Hosts = TestHosts.PlainHttp });
    private PluginUnderTest? _plugin;

    private RegistryServer Server => fixture.Server;

    private PluginUnderTest Plugin => _plugin!;

    private KubeletClient Kubelet => Plugin.Kubelet;

    public async Task InitializeAsync() => _plugin = await PluginUnderTest.StartAsync(Config);

    public async Task DisposeAsync()
    {
        if (_plugin is not null)
        {
            await _plugin.DisposeAsync();
        }

        _registry.Dispose();
    }

    private int ManifestPuts(string repository) => Server.Count("PUT", new Regex($"^/v2/{Regex.Escape(repository)}/manifests/"));

    [Fact]
    public async Task What_a_pod_writes_is_pushed_at_unpublish_and_the_next_step_assembles_the_same_tree()
    {
        var pod = TestPod.Create("train-0", "workflows");
        var target = await Kubelet.PublishWritableAsync(pod, Output($"{Server.Host}/wf/train:{{pod.name}}", "org.example.step=train"));

        Assert.True(MountTable.IsMountPoint(target));
        Assert.Equal(["nodev", "nosuid", "rw"], MountTable.Options(target).Split(',').Where(o => o is "rw" or "ro" or "nosuid" or "nodev").Order(StringComparer.Ordinal));
        Assert.Empty(Directory.EnumerateFileSystemEntries(target));
        var big = new byte[100 << 20];
        new Random(7).NextBytes(big);
        await File.WriteAllBytesAsync(Path.Combine(target, "model.bin"), big);
        File.SetUnixFileMode(Path.Combine(target, "model.bin"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await File.WriteAllTextAsync(Path.Combine(target, "résumé-日本.txt"), "unicode name");
        Directory.CreateDirectory(Path.Combine(target, "results", "nested", "deep"));
        Directory.CreateDirectory(Path.Combine(target, "results", "empty"));
        await File.WriteAllTextAsync(Path.Combine(target, "results", "metrics.json"), "{\"loss\":0.1}");
        await File.WriteAllTextAsync(Path.Combine(target, "results", "nested", "deep", "run.sh"), "#!/bin/sh\necho ok\n");
        File.SetUnixFileMode(Path.Combine(target, "results", "nested", "deep", "run.sh"), (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(Path.Combine(target, "results", "nested"), (UnixFileMode)0b111_101_000);
        File.CreateSymbolicLink(Path.Combine(target, "results", "latest"), "nested/deep/run.sh");
        var written = TreeSnapshot.Take(target);

        await Kubelet.UnpublishAsync(pod);

        Assert.False(MountTable.IsMountPoint(target));
        Assert.False(Directory.Exists(target));
        var reference = $"{Server.Host}/wf/train:train-0";
        var (manifest, _) = await WaitForManifestAsync(_registry, reference);
        Assert.Equal("application/vnd.unknown.artifact.v1", manifest.ArtifactType);
        Assert.Equal(["model.bin", "results", "résumé-日本.txt"], manifest.Layers.Select(l => l.Annotations![Annotations.Title]));
        var folder = manifest.Layers[1];
        Assert.Equal(MediaTypes.ImageLayerGzip, folder.MediaType);
        Assert.Equal("true", folder.Annotations![Annotations.Unpack]);
        Assert.Equal(MediaTypes.ImageLayer, manifest.Layers[0].MediaType);
        Assert.Equal(100L << 20, manifest.Layers[0].Size);
        var annotations = manifest.Annotations!;
        Assert.Equal("train-0", annotations["land.oras.assemble.output.pod.name"]);
        Assert.Equal("workflows", annotations["land.oras.assemble.output.pod.namespace"]);
        Assert.Equal(pod.Uid, annotations["land.oras.assemble.output.pod.uid"]);
        Assert.Equal("test-node", annotations["land.oras.assemble.output.node"]);
        Assert.Equal("train", annotations["org.example.step"]);
        Assert.Matches("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\\z", annotations[Annotations.Created]);
        await WaitForAsync(() => Task.FromResult(Plugin.OutboxEntries().Count == 0), "the outbox to empty");

        // The gauge is set just after the entry leaves the outbox: waited for, within the same bound.
        await WaitForAsync(async () => (await Plugin.MetricsAsync()).Value("oras_assemble_csi_outputs_pending") == 0, "no output to be pending");
        var metrics = await Plugin.MetricsAsync();
        Assert.Equal(1, metrics.Value("oras_assemble_csi_outputs_pushed_total"));
        Assert.Equal(0, metrics.Value("oras_assemble_csi_outputs_pending"));
        Assert.Equal(1, ManifestPuts("wf/train"));

        // The next step takes the output as an ordinary source and gets back exactly what was written; top-level files
        // come back 0644, as every ORAS file layer does.
        var next = await Kubelet.PublishAsync(TestPod.Create("evaluate-0", "workflows"), new Dictionary<string, string>
        {
            [VolumeContextKeys.InlineSpec] = $$"""
                apiVersion: assemble.oras.land/v1
                kind: Assembly
                metadata: { name: evaluate }
                sources:
                  trained: { ref: {{reference}} }
                steps:
                  - copy: { from: trained, path: /, to: / }
                """,
        });
        var expected = new SortedDictionary<string, string>(written, StringComparer.Ordinal)
        {
            ["model.bin"] = written["model.bin"].Replace("file 0600", "file 0644", StringComparison.Ordinal),
        };
        Assert.Equal(expected, TreeSnapshot.Take(next));
        Assert.Equal("file 0755 #!/bin/sh\necho ok\n", written["results/nested/deep/run.sh"]);
        Assert.Equal("dir 0750", written["results/nested"]);
        Assert.Equal("link -> nested/deep/run.sh", written["results/latest"]);
        Assert.StartsWith("dir ", written["results/empty"], StringComparison.Ordinal);
        Assert.StartsWith("file 0600 sha256:", written["model.bin"], StringComparison.Ordinal);

        // And `oras-assemble pull` reads it as any artifact `oras push` made: each file as itself, the folder unpacked.
        using var pulled = new TempDirectory();
        var pull = await ProgramRun.RunAsync(
            "dotnet", [OrasAssembleCli, "pull", "--plain-http", reference, "-o", pulled.Path], TimeSpan.FromMinutes(2),
            new Dictionary<string, string> { ["DOCKER_CONFIG"] = pulled.Combine(".no-docker-config") });
        Assert.True(pull.ExitCode == 0, pull.Output);
        Assert.Equal(expected, TreeSnapshot.Take(pulled.Path));
    }

    [Fact]
    public async Task A_container_running_as_uid_1000_writes_files_and_folders_that_are_pushed_with_their_modes()
    {
        var pod = TestPod.Create("nonroot-0");
        var target = await Kubelet.PublishWritableAsync(pod, Output($"{Server.Host}/wf/nonroot:1"));

        // As an emptyDir: any uid of the pod may write, with kubelet never changing the owner (fsGroupPolicy: None).
        Assert.Equal((UnixFileMode)0b111_111_111, File.GetUnixFileMode(target));

        // The shell enters the target as root (as a container's mount namespace reaches the bind mount without
        // kubelet's directories), then drops to uid 1000 with no groups, as runAsUser: 1000 does.
        var run = await ProgramRun.RunAsync("sh", ["-c", "cd \"$1\" && exec setpriv --reuid 1000 --regid 1000 --clear-groups sh -euc '" +
            "umask 022; id -u > whoami.txt; mkdir -p results/nested; echo 0.1 > results/nested/loss.txt; " +
            "mkdir private; echo key > private/key.txt; chmod 0600 private/key.txt; chmod 0700 private'", "sh", target], Patience);
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal("1000\n", await File.ReadAllTextAsync(Path.Combine(target, "whoami.txt")));

        await Kubelet.UnpublishAsync(pod);

        var reference = $"{Server.Host}/wf/nonroot:1";
        var (manifest, _) = await WaitForManifestAsync(_registry, reference);
        Assert.Equal(["private", "results", "whoami.txt"], manifest.Layers.Select(l => l.Annotations![Annotations.Title]));
        var results = await TarEntriesAsync(_registry, reference, manifest.Layers[1]);
        Assert.Equal(["results/", "results/nested/", "results/nested/loss.txt"], results.Keys.Order(StringComparer.Ordinal));
        Assert.Equal((UnixFileMode)0b110_100_100, results["results/nested/loss.txt"].Mode);
        Assert.Equal((UnixFileMode)0b111_101_101, results["results/nested/"].Mode);

        // The pusher (root) reads what the pod made private to itself; entries are stored owned by 0:0, modes kept.
        var private_ = await TarEntriesAsync(_registry, reference, manifest.Layers[0]);
        Assert.Equal(["private/", "private/key.txt"], private_.Keys.Order(StringComparer.Ordinal));
        Assert.Equal((UnixFileMode)0b111_000_000, private_["private/"].Mode);
        Assert.Equal((UnixFileMode)0b110_000_000, private_["private/key.txt"].Mode);
        Assert.Equal("key\n", new StreamReader(private_["private/key.txt"].DataStream!).ReadToEnd());
        Assert.All(results.Values.Concat(private_.Values), e => Assert.Equal((0, 0), (e.Uid, e.Gid)));
        await WaitForAsync(() => Task.FromResult(Plugin.OutboxEntries().Count == 0), "the outbox to empty");
    }

    [Fact]
    public async Task Publishing_again_is_ok_with_one_mount_and_a_second_unpublish_is_ok()
    {
        var pod = TestPod.Create("again-0");
        var attributes = Output($"{Server.Host}/wf/again:{{pod.uid}}");
        var target = await Kubelet.PublishWritableAsync(pod, attributes);
        await File.WriteAllTextAsync(Path.Combine(target, "kept.txt"), "still here");

        await Kubelet.PublishWritableAsync(pod, attributes);

        Assert.Equal(1, MountTable.MountsAt(target));
        Assert.Equal("still here", await File.ReadAllTextAsync(Path.Combine(target, "kept.txt")));
        await Kubelet.UnpublishAsync(pod);
        await Kubelet.UnpublishAsync(pod);
        var (manifest, _) = await WaitForManifestAsync(_registry, $"{Server.Host}/wf/again:{pod.Uid}");
        Assert.Equal("kept.txt", Assert.Single(manifest.Layers).Annotations![Annotations.Title]);
    }

    [Fact]
    public async Task A_read_only_output_volume_is_refused_with_the_reason()
    {
        var request = Kubelet.PublishRequest(TestPod.Create("ro-0"), Output($"{Server.Host}/wf/ro:1"));

        var thrown = await Assert.ThrowsAsync<GrpcCallException>(() => Kubelet.PublishAsync(request));

        Assert.Equal(StatusCode.InvalidArgument, thrown.Status);
        Assert.Equal("an output volume (oras.output.reference) is written by the pod: set readOnly: false on the pod's csi volume", thrown.Detail);
        Assert.False(Directory.Exists(request.TargetPath));
    }

    [Fact]
    public async Task A_spec_volume_is_still_refused_when_writable()
    {
        var request = Kubelet.PublishRequest(TestPod.Create("rw-0"), new Dictionary<string, string> { [VolumeContextKeys.Reference] = $"{Server.Host}/wf/any:1" });
        request.Readonly = false;

        var thrown = await Assert.ThrowsAsync<GrpcCallException>(() => Kubelet.PublishAsync(request));

        Assert.Equal(StatusCode.InvalidArgument, thrown.Status);
        Assert.Equal("the volume must be read-only: set readOnly: true on the pod's csi volume", thrown.Detail);
    }

    [Theory]
    [InlineData("{host}/wf/out:{pod.ip}", null,
        "volume attribute oras.output.reference: invalid reference \"{host}/wf/out:{pod.ip}\": uses the unknown placeholder {pod.ip} (known: {pod.name}, {pod.namespace}, {pod.uid})")]
    [InlineData("{host}/wf/out:{pod.name}", "csi.storage.k8s.io/pod.name",
        "volume attribute oras.output.reference: invalid reference \"{host}/wf/out:{pod.name}\": uses {pod.name}, but kubelet did not pass csi.storage.k8s.io/pod.name (set podInfoOnMount: true on the CSIDriver)")]
    [InlineData("{host}/wf/Out:{pod.name}", null,
        "volume attribute oras.output.reference: invalid reference \"{host}/wf/Out:{pod.name}\": repository \"wf/Out\" must be lowercase")]
    [InlineData("{host}/wf/out@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", null,
        "volume attribute oras.output.reference: invalid reference \"{host}/wf/out@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\": an output is pushed to a tag (host/repository:tag), so it must not name a digest")]
    public async Task A_reference_that_is_not_valid_after_substitution_is_refused_naming_it(string template, string? withheld, string message)
    {
        var request = Kubelet.PublishRequest(TestPod.Create("bad-0"), Output(template.Replace("{host}", Server.Host, StringComparison.Ordinal)));
        request.Readonly = false;
        if (withheld is not null)
        {
            request.VolumeContext.Remove(withheld);
        }

        var thrown = await Assert.ThrowsAsync<GrpcCallException>(() => Kubelet.PublishAsync(request));

        Assert.Equal(StatusCode.InvalidArgument, thrown.Status);
        Assert.Equal(message.Replace("{host}", Server.Host, StringComparison.Ordinal), thrown.Detail);
        Assert.False(Directory.Exists(request.TargetPath));
    }

    [Fact]
    public async Task A_pod_name_too_long_for_a_tag_is_refused_quoting_the_template_and_what_it_became()
    {
        // A valid pod name (up to 253 characters) need not be a valid tag (up to 128): only the publish can tell.
        var pod = TestPod.Create(new string('a', 130));
        var request = Kubelet.PublishRequest(pod, Output($"{Server.Host}/wf/out:{{pod.name}}"));
        request.Readonly = false;

        var thrown = await Assert.ThrowsAsync<GrpcCallException>(() => Kubelet.PublishAsync(request));

        Assert.Equal(StatusCode.InvalidArgument, thrown.Status);
        Assert.Equal(
            $"volume attribute oras.output.reference: invalid reference \"{Server.Host}/wf/out:{{pod.name}}\": with the pod's values it reads " +
            $"\"{Server.Host}/wf/out:{pod.Name}\", which is not a reference to push to: tag is 130 characters long; the limit is 128",
            thrown.Detail);
        Assert.False(Directory.Exists(request.TargetPath));
    }

    [Fact]
    public async Task An_output_volume_that_also_names_an_artifact_to_read_is_refused()
    {
        var attributes = Output($"{Server.Host}/wf/out:1");
        attributes[VolumeContextKeys.Reference] = $"{Server.Host}/wf/in:1";
        var request = Kubelet.PublishRequest(TestPod.Create("both-0"), attributes);
        request.Readonly = false;

        var thrown = await Assert.ThrowsAsync<GrpcCallException>(() => Kubelet.PublishAsync(request));

        Assert.Equal(StatusCode.InvalidArgument, thrown.Status);
        Assert.Equal(
            "volume attribute oras.artifact.reference: cannot be combined with oras.output.reference: a volume is either read from an artifact or written to one",
            thrown.Detail);
    }

    [Fact]
    public async Task An_output_volume_with_a_connection_option_is_refused_since_the_node_config_says_how_to_reach_its_registry()
    {
        var attributes = Output($"{Server.Host}/wf/out:1");
        attributes[VolumeContextKeys.PlainHttp] = "true";
        var request = Kubelet.PublishRequest(TestPod.Create("plain-0"), attributes);
        request.Readonly = false;

        var thrown = await Assert.ThrowsAsync<GrpcCallException>(() => Kubelet.PublishAsync(request));

        Assert.Equal(StatusCode.InvalidArgument, thrown.Status);
        Assert.Equal("volume attribute oras.options.plainhttp: applies to a volume read from an artifact, not to an output volume (oras.output.reference)", thrown.Detail);
        Assert.False(Directory.Exists(request.TargetPath));
    }

    [Fact]
    public async Task A_secret_that_cannot_be_used_is_refused_at_publish()
    {
        var request = Kubelet.PublishRequest(
            TestPod.Create("secret-0"), Output($"{Server.Host}/wf/secret:1"), new Dictionary<string, string> { [".dockerconfigjson"] = "{not json" });
        request.Readonly = false;

        var thrown = await Assert.ThrowsAsync<GrpcCallException>(() => Kubelet.PublishAsync(request));

        Assert.Equal(StatusCode.InvalidArgument, thrown.Status);
        Assert.StartsWith("nodePublishSecretRef: ", thrown.Detail, StringComparison.Ordinal);
        Assert.Contains(".dockerconfigjson", thrown.Detail, StringComparison.Ordinal);
        Assert.False(Directory.Exists(request.TargetPath));
        Assert.Empty(Directory.GetDirectories(Path.Combine(Plugin.Root, "node", "outputs", "volumes")));
    }

    [Fact]
    public async Task Twenty_pods_writing_to_the_pod_name_tag_push_twenty_tags_once_each()
    {
        var pods = Enumerable.Range(0, 20).Select(i => TestPod.Create($"shard-{i}", "batch")).ToList();
        foreach (var pod in pods)
        {
            var target = await Kubelet.PublishWritableAsync(pod, Output($"{Server.Host}/wf/shards:{{pod.name}}"));
            await File.WriteAllTextAsync(Path.Combine(target, "part.txt"), $"part of {pod.Name}");
        }

        await Task.WhenAll(pods.Select(Kubelet.UnpublishAsync));

        await WaitForAsync(() => Task.FromResult(Plugin.OutboxEntries().Count == 0), "twenty pushes");
        var tags = await _registry.GetRepository($"{Server.Host}/wf/shards").ListTagsAsync().ToListAsync();
        Assert.Equal(pods.Select(p => p.Name).Order(StringComparer.Ordinal), tags.Order(StringComparer.Ordinal));
        Assert.Equal(20, ManifestPuts("wf/shards"));
        foreach (var pod in pods)
        {
            Assert.Equal(1, Server.Count("PUT", new Regex($"^/v2/wf/shards/manifests/{pod.Name}\\z")));
        }

        Assert.Equal(20, (await Plugin.MetricsAsync()).Value("oras_assemble_csi_outputs_pushed_total"));
    }

    [Fact]
    public async Task Links_are_pushed_as_links_and_fifos_are_left_out_and_reported()
    {
        var pod = TestPod.Create("links-0");
        var target = await Kubelet.PublishWritableAsync(pod, Output($"{Server.Host}/wf/links:1"));
        Directory.CreateDirectory(Path.Combine(target, "logs"));
        File.CreateSymbolicLink(Path.Combine(target, "logs", "passwd"), "/etc/passwd");
        File.CreateSymbolicLink(Path.Combine(target, "logs", "up"), "../../../outside");
        await File.WriteAllTextAsync(Path.Combine(target, "logs", "run.log"), "done");
        MakeFifo(Path.Combine(target, "logs", "pipe"));
        MakeFifo(Path.Combine(target, "control"));

        await Kubelet.UnpublishAsync(pod);

        var reference = $"{Server.Host}/wf/links:1";
        var (manifest, _) = await WaitForManifestAsync(_registry, reference);
        var layer = Assert.Single(manifest.Layers);
        var entries = await TarEntriesAsync(_registry, reference, layer);
        Assert.Equal(["logs/", "logs/passwd", "logs/run.log", "logs/up"], entries.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(TarEntryType.SymbolicLink, entries["logs/passwd"].EntryType);
        Assert.Equal("/etc/passwd", entries["logs/passwd"].LinkName);
        Assert.Equal("../../../outside", entries["logs/up"].LinkName);
        var reported = Assert.Single(Plugin.Logs.Entries, e => e.Contains("[714]", StringComparison.Ordinal));
        Assert.StartsWith("Warning", reported, StringComparison.Ordinal);
        Assert.Contains("2 entries left out (FIFOs, sockets, devices, links at the top level): \"control\", \"logs/pipe\"", reported, StringComparison.Ordinal);
        Assert.Equal(2, (await Plugin.MetricsAsync()).Value("oras_assemble_csi_outputs_skipped_entries_total"));
    }

    [Fact]
    public async Task An_output_over_max_bytes_is_kept_on_the_node_reported_and_not_pushed()
    {
        var pod = TestPod.Create("huge-0");
        var target = await Kubelet.PublishWritableAsync(pod, Output($"{Server.Host}/wf/huge:1"));
        await File.WriteAllBytesAsync(Path.Combine(target, "a.bin"), new byte[100 << 20]);
        Directory.CreateDirectory(Path.Combine(target, "more"));
        await File.WriteAllBytesAsync(Path.Combine(target, "more", "b.bin"), new byte[70 << 20]);

        await Kubelet.UnpublishAsync(pod);

        await WaitForAsync(async () => await Plugin.FailedAsync("too_large") >= 1, "the output to be found too large");
        var entry = Assert.Single(Plugin.OutboxEntries());
        Assert.Equal(100L << 20, new FileInfo(Path.Combine(entry, "data", "a.bin")).Length);
        Assert.Equal(70L << 20, new FileInfo(Path.Combine(entry, "data", "more", "b.bin")).Length);
        var reported = Assert.Single(Plugin.Logs.Entries, e => e.Contains("[713]", StringComparison.Ordinal));
        Assert.StartsWith("Error", reported, StringComparison.Ordinal);
        Assert.Contains($"for {Server.Host}/wf/huge:1 holds more than {160 << 20} bytes, over the node's limits", reported, StringComparison.Ordinal);
        Assert.Equal(0, ManifestPuts("wf/huge"));
        Assert.Equal(0, Server.Count("POST", "/v2/wf/huge/blobs/uploads/"));
        Assert.Equal(1, (await Plugin.MetricsAsync()).Value("oras_assemble_csi_outputs_pending"));
    }

    private static void MakeFifo(string path)
    {
        using var mkfifo = System.Diagnostics.Process.Start("mkfifo", [path]);
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
    }
}

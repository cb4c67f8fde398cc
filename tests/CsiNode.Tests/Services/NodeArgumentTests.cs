using OrasAssemble.CsiNode.Csi;
using Grpc.Core;
using OrasAssemble.CsiNode.Publishing;
using OrasAssemble.CsiNode.Tests.TestSupport;

namespace OrasAssemble.CsiNode.Tests.Services;

/// <summary>Every call checks its arguments before doing anything: wrong ones are INVALID_ARGUMENT and touch nothing.</summary>
public sealed class NodeArgumentTests : IAsyncLifetime
{
    private const string Reference = "127.0.0.1:1/never/contacted:1.0";
    private PluginUnderTest? _plugin;

    private PluginUnderTest Plugin => _plugin!;

    public async Task InitializeAsync() => _plugin = await PluginUnderTest.StartAsync("""
        registries:
          "127.0.0.1:*": { plainHttp: true }
        namespaces:
          team-a:
            registries: [registry.team-a.example]
            repositories: ["127.0.0.1:1/shared/*"]
        """);

    public async Task DisposeAsync() => await Plugin.DisposeAsync();

    public static TheoryData<string, string> BadPublishes => new()
    {
        { "no volume id", "volume_id" },
        { "no target path", "target_path" },
        { "relative target path", "absolute" },
        { "no capability", "volume_capability" },
        { "block capability", "block" },
        { "no access type", "mount access type" },
        { "no access mode", "access_mode" },
        { "writable", "read-only" },
        { "not ephemeral", VolumeContextKeys.Ephemeral },
        { "no reference", VolumeContextKeys.Reference },
        { "reference and inline spec", VolumeContextKeys.InlineSpec },
        { "malformed reference", VolumeContextKeys.Reference },
        { "unknown attribute", "oras.options.plaintext" },
        { "bad boolean", VolumeContextKeys.PlainHttp },
        { "bad concurrency", VolumeContextKeys.Concurrency },
        { "bad pull policy", VolumeContextKeys.PullPolicy },
        { "contradicting pull options", VolumeContextKeys.PullAlways },
        { "invalid inline spec", "steps" },
        { "secret without known keys", "nodePublishSecretRef" },
        { "password without user", "username" },
        { "malformed media type", VolumeContextKeys.LayerMediaTypes },
        { "too many media types", $"{VolumeContextKeys.LayerMediaTypes}: has more than 256 entries" },
    };

    [Theory]
    [MemberData(nameof(BadPublishes))]
    public async Task A_bad_publish_request_is_invalid_argument_naming_what_is_wrong(string problem, string named)
    {
        var request = Plugin.Kubelet.PublishRequest(TestPod.Create("bad"), new Dictionary<string, string> { [VolumeContextKeys.Reference] = Reference });
        Break(request, problem);

        var thrown = await Assert.ThrowsAsync<GrpcCallException>(() => Plugin.Kubelet.PublishAsync(request));

        Assert.Equal(StatusCode.InvalidArgument, thrown.Status);
        Assert.Contains(named, thrown.Detail, StringComparison.Ordinal);
        if (request.TargetPath.Length > 0 && Path.IsPathRooted(request.TargetPath))
        {
            Assert.False(Directory.Exists(request.TargetPath));
        }
    }

    [Fact]
    public async Task Layer_media_types_beside_an_inline_spec_are_invalid_argument_naming_both_attributes()
    {
        var attributes = new Dictionary<string, string>
        {
            [VolumeContextKeys.InlineSpec] = $$"""
                apiVersion: assemble.oras.land/v1
                kind: Assembly
                metadata: { name: inline }
                sources:
                  app: { ref: {{Reference}} }
                steps:
                  - copy: { from: app, path: a.txt, to: /a.txt }
                """,
            [VolumeContextKeys.LayerMediaTypes] = "text/plain",
        };
        var pod = TestPod.Create("inline");

        var thrown = await Assert.ThrowsAsync<GrpcCallException>(() => Plugin.Kubelet.PublishAsync(pod, attributes));

        Assert.Equal(StatusCode.InvalidArgument, thrown.Status);
        Assert.Equal(
            "volume attribute oras.artifact.layers.mediatype cannot be combined with oras.assembly.spec: it filters a whole artifact " +
            "named by oras.artifact.reference; in a spec, give each source its mediaTypes",
            thrown.Detail);
        Assert.False(Directory.Exists(Plugin.Kubelet.TargetPath(pod.Uid, pod.VolumeName)));
    }

    [Fact]
    public async Task An_inline_spec_reading_a_local_oci_layout_is_invalid_argument_the_node_reads_registries_only()
    {
        // A directory that exists on the node: the form is refused, not the path.
        var layout = $"oci-layout://{Path.GetTempPath().TrimEnd('/')}:1";
        var attributes = new Dictionary<string, string>
        {
            [VolumeContextKeys.InlineSpec] = $$"""
                apiVersion: assemble.oras.land/v1
                kind: Assembly
                metadata: { name: inline }
                sources:
                  app: { ref: "{{layout}}" }
                steps:
                  - copy: { from: app, path: a.txt, to: /a.txt }
                """,
        };
        var pod = TestPod.Create("layout");

        var thrown = await Assert.ThrowsAsync<GrpcCallException>(() => Plugin.Kubelet.PublishAsync(pod, attributes));

        Assert.Equal(StatusCode.InvalidArgument, thrown.Status);
        Assert.Equal($"sources.app: \"{layout}\" names a local OCI layout; the node plugin reads registries only", thrown.Detail);
        Assert.False(Directory.Exists(Plugin.Kubelet.TargetPath(pod.Uid, pod.VolumeName)));
    }

    public static TheoryData<string, string> HugeAttributes => new()
    {
        { VolumeContextKeys.Reference, "127.0.0.1:1/" + new string('a', 1024 * 1024 - 12) },
        { VolumeContextKeys.Reference, new string('A', 1024 * 1024) },
        { VolumeContextKeys.LayerMediaTypes, new string('x', 1024 * 1024) },
        { VolumeContextKeys.PullPolicy, new string('x', 1024 * 1024) },
        { VolumeContextKeys.PlainHttp, new string('x', 1024 * 1024) },
        { VolumeContextKeys.Concurrency, new string('9', 1024 * 1024) },
        { "oras." + new string('x', 1024 * 1024 - 5), "1" },
    };

    [Theory]
    [MemberData(nameof(HugeAttributes))]
    public async Task A_huge_attribute_value_is_refused_in_a_short_message_and_log_line_that_give_its_length(string key, string value)
    {
        var attributes = new Dictionary<string, string> { [VolumeContextKeys.Reference] = Reference, [key] = value };
        var echoed = key.Length > value.Length ? key : value;

        var thrown = await Assert.ThrowsAsync<GrpcCallException>(() => Plugin.Kubelet.PublishAsync(TestPod.Create("huge"), attributes));

        Assert.Equal(StatusCode.InvalidArgument, thrown.Status);
        Assert.InRange(thrown.Detail.Length, 1, 2048);
        Assert.Contains($"({echoed.Length} characters)", thrown.Detail, StringComparison.Ordinal);
        // The plugin's own line about the refused publish names the length; no line the call caused echoes the value whole.
        var logged = Assert.Single(Plugin.Logs.Entries, e => e.StartsWith("Warning ", StringComparison.Ordinal) && e.Contains("NodePublishVolume", StringComparison.Ordinal));
        Assert.Contains($"({echoed.Length} characters)", logged, StringComparison.Ordinal);
        Assert.All(Plugin.Logs.Entries, e => Assert.InRange(e.Length, 1, 4096));
    }

    [Theory]
    [InlineData("", "/var/lib/kubelet/pods/x/volumes/kubernetes.io~csi/app/mount", "volume_id")]
    [InlineData("csi-1", "", "target_path")]
    [InlineData("csi-1", "relative/mount", "absolute")]
    public async Task A_bad_unpublish_request_is_invalid_argument(string volumeId, string target, string named)
    {
        var thrown = await Assert.ThrowsAsync<GrpcCallException>(() => Plugin.Kubelet.UnpublishAsync(volumeId, target));

        Assert.Equal(StatusCode.InvalidArgument, thrown.Status);
        Assert.Contains(named, thrown.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "/x", "volume_id")]
    [InlineData("csi-1", "", "volume_path")]
    public async Task A_bad_stats_request_is_invalid_argument(string volumeId, string path, string named)
    {
        var thrown = await Assert.ThrowsAsync<GrpcCallException>(() => Plugin.Grpc.CallAsync<NodeGetVolumeStatsResponse>(
            "/csi.v1.Node/NodeGetVolumeStats", new NodeGetVolumeStatsRequest { VolumeId = volumeId, VolumePath = path }));

        Assert.Equal(StatusCode.InvalidArgument, thrown.Status);
        Assert.Contains(named, thrown.Detail, StringComparison.Ordinal);
    }

    /// <summary>csi-sanity's node-only checks: a volume that is not published at the path is NOT_FOUND, whatever the path looks like.</summary>
    [Theory]
    [InlineData("some/path")]
    [InlineData("/var/lib/kubelet/pods/none/volumes/kubernetes.io~csi/app/mount")]
    [InlineData("../../etc")]
    public async Task Stats_for_a_volume_not_published_at_the_path_is_not_found(string path)
    {
        var thrown = await Assert.ThrowsAsync<GrpcCallException>(() => Plugin.Grpc.CallAsync<NodeGetVolumeStatsResponse>(
            "/csi.v1.Node/NodeGetVolumeStats", new NodeGetVolumeStatsRequest { VolumeId = "csi-not-published", VolumePath = path }));

        Assert.Equal(StatusCode.NotFound, thrown.Status);
        Assert.Equal($"volume csi-not-published is not published at {path}", thrown.Detail);
    }

    [Theory]
    [InlineData(VolumeContextKeys.PlainHttp, "tenancy.allowPlainHttp")]
    [InlineData(VolumeContextKeys.Insecure, "tenancy.allowInsecure")]
    public async Task A_per_volume_connection_option_the_node_does_not_allow_is_permission_denied(string attribute, string setting)
    {
        var thrown = await Assert.ThrowsAsync<GrpcCallException>(() => Plugin.Kubelet.PublishAsync(TestPod.Create("opts"),
            new Dictionary<string, string> { [VolumeContextKeys.Reference] = Reference, [attribute] = "true" }));

        Assert.Equal(StatusCode.PermissionDenied, thrown.Status);
        Assert.Contains(setting, thrown.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_namespace_reading_outside_its_allow_list_is_permission_denied()
    {
        var thrown = await Assert.ThrowsAsync<GrpcCallException>(() => Plugin.Kubelet.PublishAsync(TestPod.Create("app", "team-a"),
            new Dictionary<string, string> { [VolumeContextKeys.Reference] = "127.0.0.1:1/private/other:1.0" }));

        Assert.Equal(StatusCode.PermissionDenied, thrown.Status);
        Assert.Contains("team-a", thrown.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Identity_names_the_driver_offers_no_controller_and_is_ready()
    {
        var info = await Plugin.Grpc.CallAsync<GetPluginInfoResponse>("/csi.v1.Identity/GetPluginInfo", new GetPluginInfoRequest());
        var capabilities = await Plugin.Grpc.CallAsync<GetPluginCapabilitiesResponse>("/csi.v1.Identity/GetPluginCapabilities", new GetPluginCapabilitiesRequest());
        var probe = await Plugin.Grpc.CallAsync<ProbeResponse>("/csi.v1.Identity/Probe", new ProbeRequest());

        Assert.Equal("csi.oras.land", info.Name);
        Assert.False(string.IsNullOrEmpty(info.VendorVersion));
        Assert.DoesNotContain(capabilities.Capabilities, c => c.Service?.Type == PluginCapability.Types.Service.Types.Type.ControllerService);
        Assert.True(probe.Ready);
    }

    [Fact]
    public async Task Probe_is_not_ready_when_the_cache_cannot_be_written()
    {
        var temp = Path.Combine(Plugin.Root, "tmp");
        Directory.Delete(temp, recursive: true);
        File.WriteAllText(temp, "not a directory");
        try
        {
            var probe = await Plugin.Grpc.CallAsync<ProbeResponse>("/csi.v1.Identity/Probe", new ProbeRequest());

            Assert.False(probe.Ready);
        }
        finally
        {
            File.Delete(temp);
            Directory.CreateDirectory(temp);
        }
    }

    [Fact]
    public async Task Node_reports_its_id_and_only_the_stats_capability()
    {
        var info = await Plugin.Grpc.CallAsync<NodeGetInfoResponse>("/csi.v1.Node/NodeGetInfo", new NodeGetInfoRequest());
        var capabilities = await Plugin.Grpc.CallAsync<NodeGetCapabilitiesResponse>("/csi.v1.Node/NodeGetCapabilities", new NodeGetCapabilitiesRequest());

        Assert.Equal("test-node", info.NodeId);
        var capability = Assert.Single(capabilities.Capabilities);
        Assert.Equal(NodeServiceCapability.Types.RPC.Types.Type.GetVolumeStats, capability.Rpc.Type);
    }

    [Fact]
    public async Task Staging_is_unimplemented()
    {
        var thrown = await Assert.ThrowsAsync<GrpcCallException>(() => Plugin.Grpc.CallAsync<NodeGetInfoResponse>("/csi.v1.Node/NodeStageVolume", new NodeGetInfoRequest()));

        Assert.Equal(StatusCode.Unimplemented, thrown.Status);
    }

    private static void Break(NodePublishVolumeRequest request, string problem)
    {
        var context = request.VolumeContext;
        switch (problem)
        {
            case "no volume id": request.VolumeId = ""; break;
            case "no target path": request.TargetPath = ""; break;
            case "relative target path": request.TargetPath = "pods/x/mount"; break;
            case "no capability": request.VolumeCapability = null; break;
            case "block capability": request.VolumeCapability.Block = new VolumeCapability.Types.BlockVolume(); break;
            case "no access type": request.VolumeCapability.ClearAccessType(); break;
            case "no access mode": request.VolumeCapability.AccessMode = null; break;
            case "writable": request.Readonly = false; break;
            case "not ephemeral": context[VolumeContextKeys.Ephemeral] = "false"; break;
            case "no reference": context.Remove(VolumeContextKeys.Reference); break;
            case "reference and inline spec": context[VolumeContextKeys.InlineSpec] = "{}"; break;
            case "malformed reference": context[VolumeContextKeys.Reference] = "UPPER/Case::1"; break;
            case "unknown attribute": context["oras.options.plaintext"] = "true"; break;
            case "bad boolean": context[VolumeContextKeys.PlainHttp] = "yes"; break;
            case "bad concurrency": context[VolumeContextKeys.Concurrency] = "0"; break;
            case "bad pull policy": context[VolumeContextKeys.PullPolicy] = "Sometimes"; break;
            case "contradicting pull options":
                context[VolumeContextKeys.PullPolicy] = "IfNotPresent";
                context[VolumeContextKeys.PullAlways] = "true";
                break;
            case "invalid inline spec":
                context.Remove(VolumeContextKeys.Reference);
                context[VolumeContextKeys.InlineSpec] = "apiVersion: assemble.oras.land/v1\nkind: Assembly\nmetadata: { name: x }\nsources: {}\n";
                break;
            case "secret without known keys": request.Secrets["token"] = "abc"; break;
            case "password without user": request.Secrets["password"] = "secret"; break;
            case "malformed media type": context[VolumeContextKeys.LayerMediaTypes] = "not a type"; break;
            case "too many media types":
                context[VolumeContextKeys.LayerMediaTypes] = string.Join(",", Enumerable.Range(0, 257).Select(i => $"text/x-{i}"));
                break;
            default: throw new ArgumentException(problem);
        }
    }
}

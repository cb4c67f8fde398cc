using System.Diagnostics;
using Google.Protobuf;
using Grpc.Core;
using OrasAssemble.CsiNode.Csi;
using OrasAssemble.CsiNode.Publishing;
using OrasAssemble.CsiNode.Tests.TestSupport;
using OrasAssemble.CsiNode.Transport;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Tests.Execution;
using OrasAssemble.Tests.Fixtures;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.CsiNode.Tests.Transport;

/// <summary>The plugin's gRPC transport through its real socket: statuses, limits, bad requests, connection patterns.</summary>
public sealed class GrpcTransportTests(AnonymousRegistryFixture fixture) : IClassFixture<AnonymousRegistryFixture>, IAsyncLifetime
{
    private const string GetPluginInfo = "/csi.v1.Identity/GetPluginInfo";

    private readonly RegistryClient _registry = new(new RegistryClientOptions { Hosts = TestHosts.PlainHttp });
    private PluginUnderTest? _plugin;

    private PluginUnderTest Plugin => _plugin!;

    public async Task InitializeAsync() => _plugin = await PluginUnderTest.StartAsync();

    public async Task DisposeAsync()
    {
        if (_plugin is not null)
        {
            await _plugin.DisposeAsync();
        }

        _registry.Dispose();
    }

    private static byte[] Block(string path) => new HpackBlock().GrpcRequest(path).WithoutIndexing(1, "localhost").GrpcFields().ToArray();

    [Fact]
    public async Task A_unary_call_gets_one_message_and_status_ok()
    {
        await using var connection = await RawHttp2Connection.OpenAsync(Plugin.Grpc.SocketPath);

        var reply = await connection.CallAsync(Block(GetPluginInfo), []);

        Assert.Equal("200", reply.Header(":status"));
        Assert.Equal("application/grpc", reply.Header("content-type"));
        Assert.Equal(0, reply.GrpcStatus);
        Assert.Equal("csi.oras.land", GetPluginInfoResponse.Parser.ParseFrom(reply.Message).Name);
    }

    [Fact]
    public async Task An_error_status_and_its_message_arrive_intact()
    {
        const string target = "relative/naïve 100% gone\nsecond line";

        var thrown = await Assert.ThrowsAsync<GrpcCallException>(() => Plugin.Kubelet.UnpublishAsync("csi-1", target));

        Assert.Equal(StatusCode.InvalidArgument, thrown.Status);
        Assert.Equal($"target_path \"{target}\" must be an absolute path", thrown.Detail);
    }

    [Fact]
    public async Task An_unknown_method_is_unimplemented()
    {
        var stage = await Assert.ThrowsAsync<GrpcCallException>(() => Plugin.Grpc.CallAsync<NodeGetInfoResponse>("/csi.v1.Node/NodeStageVolume", new NodeGetInfoRequest()));
        var otherService = await Assert.ThrowsAsync<GrpcCallException>(() => Plugin.Grpc.CallAsync<NodeGetInfoResponse>("/csi.v1.Controller/CreateVolume", new NodeGetInfoRequest()));

        Assert.Equal(StatusCode.Unimplemented, stage.Status);
        Assert.Equal(StatusCode.Unimplemented, otherService.Status);
    }

    [Theory]
    [InlineData(new byte[] { 0, 0, 0, 0, 9, 1 }, StatusCode.Internal)]          // announces 9 bytes, 1 follows
    [InlineData(new byte[] { 0, 0, 0 }, StatusCode.Internal)]                    // header cut short
    [InlineData(new byte[] { 1, 0, 0, 0, 0 }, StatusCode.Internal)]              // compressed without an encoding
    [InlineData(new byte[] { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, StatusCode.Internal)] // two messages on a unary call
    [InlineData(new byte[0], StatusCode.Internal)]                               // no message at all
    [InlineData(new byte[] { 0, 0, 0, 0, 2, 0xFF, 0xFF }, StatusCode.Unknown)]   // not a protobuf message: Grpc.AspNetCore's answer
    public async Task Malformed_request_bodies_get_a_status_not_a_crash(byte[] body, StatusCode expected)
    {
        await using var connection = await RawHttp2Connection.OpenAsync(Plugin.Grpc.SocketPath);
        var stream = connection.NextStream();

        await connection.WriteFrameAsync(RawHttp2Connection.Headers, RawHttp2Connection.EndHeaders, stream, Block("/csi.v1.Node/NodeGetInfo"));
        await connection.WriteFrameAsync(RawHttp2Connection.Data, RawHttp2Connection.EndStream, stream, body);
        var reply = await connection.ReadReplyAsync(stream);

        Assert.Equal((int)expected, reply.GrpcStatus);
        Assert.Empty(reply.Data);
        Assert.Equal("test-node", (await Plugin.Grpc.CallAsync<NodeGetInfoResponse>("/csi.v1.Node/NodeGetInfo", new NodeGetInfoRequest())).NodeId);
    }

    [Fact]
    public async Task A_four_gigabyte_length_prefix_is_refused_as_soon_as_it_arrives()
    {
        await using var connection = await RawHttp2Connection.OpenAsync(Plugin.Grpc.SocketPath);
        var stream = connection.NextStream();
        var clock = Stopwatch.StartNew();

        // The prefix alone, stream left open: nothing is waited for or buffered before the answer.
        await connection.WriteFrameAsync(RawHttp2Connection.Headers, RawHttp2Connection.EndHeaders, stream, Block("/csi.v1.Node/NodePublishVolume"));
        await connection.WriteFrameAsync(RawHttp2Connection.Data, 0, stream, [0, 0xFF, 0xFF, 0xFF, 0xFF]);
        var reply = await connection.ReadReplyAsync(stream);

        // Grpc.AspNetCore answers a length beyond 2^31 - 1 UNKNOWN ("message too large"); one under it, but over the
        // limit, RESOURCE_EXHAUSTED (the next test). Either way at once, and with nothing buffered.
        Assert.Equal((int)StatusCode.Unknown, reply.GrpcStatus);
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5));
        var nearLimit = connection.NextStream();
        await connection.WriteFrameAsync(RawHttp2Connection.Headers, RawHttp2Connection.EndHeaders, nearLimit, Block("/csi.v1.Node/NodePublishVolume"));
        await connection.WriteFrameAsync(RawHttp2Connection.Data, 0, nearLimit, [0, 0x7F, 0xFF, 0xFF, 0xFF]);
        Assert.Equal((int)StatusCode.ResourceExhausted, (await connection.ReadReplyAsync(nearLimit)).GrpcStatus);
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_message_over_the_size_limit_is_resource_exhausted()
    {
        var request = new NodeUnpublishVolumeRequest { VolumeId = new string('v', 4 * 1024 * 1024), TargetPath = "/x" };

        var thrown = await Assert.ThrowsAsync<GrpcCallException>(() => Plugin.Grpc.CallAsync<NodeUnpublishVolumeResponse>("/csi.v1.Node/NodeUnpublishVolume", request));

        Assert.Equal(StatusCode.ResourceExhausted, thrown.Status);
    }

    [Fact]
    public async Task An_unknown_compression_is_unimplemented_and_names_what_is_accepted()
    {
        await using var connection = await RawHttp2Connection.OpenAsync(Plugin.Grpc.SocketPath);
        var block = new HpackBlock().GrpcRequest(GetPluginInfo).WithoutIndexing(1, "localhost").GrpcFields().WithoutIndexing(0, "snappy", name: "grpc-encoding").ToArray();
        var stream = connection.NextStream();

        await connection.WriteFrameAsync(RawHttp2Connection.Headers, RawHttp2Connection.EndHeaders, stream, block);
        await connection.WriteFrameAsync(RawHttp2Connection.Data, RawHttp2Connection.EndStream, stream, [1, 0, 0, 0, 0]);
        var reply = await connection.ReadReplyAsync(stream);

        Assert.Equal((int)StatusCode.Unimplemented, reply.GrpcStatus);
        Assert.Contains("identity", reply.Header("grpc-accept-encoding") ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_request_that_is_not_grpc_is_refused_with_an_http_status()
    {
        await using var connection = await RawHttp2Connection.OpenAsync(Plugin.Grpc.SocketPath);
        var block = new HpackBlock().Indexed(3).Indexed(6).WithoutIndexing(4, GetPluginInfo).WithoutIndexing(1, "localhost")
            .WithoutIndexing(31, "application/json").ToArray();
        var stream = connection.NextStream();

        await connection.WriteFrameAsync(RawHttp2Connection.Headers, RawHttp2Connection.EndHeaders, stream, block);
        await connection.WriteFrameAsync(RawHttp2Connection.Data, RawHttp2Connection.EndStream, stream, "{}"u8.ToArray());
        var reply = await connection.ReadReplyAsync(stream);

        Assert.Equal("415", reply.Header(":status"));
    }

    [Fact]
    public async Task A_stale_socket_is_removed_at_start_and_a_live_one_is_not_taken_over()
    {
        var path = Plugin.Grpc.SocketPath;
        var taken = Assert.Throws<IOException>(() => new UnixSocketEndpoint(path).PrepareToListen());
        await Plugin.StopAsync();
        StaleSocket.Create(path);

        await Plugin.RestartAsync();

        Assert.Contains("another process", taken.Message, StringComparison.Ordinal);
        Assert.Equal("test-node", (await Plugin.Grpc.CallAsync<NodeGetInfoResponse>("/csi.v1.Node/NodeGetInfo", new NodeGetInfoRequest())).NodeId);
    }

    [Fact]
    public async Task A_kubelet_that_dials_for_every_call_publishes_reads_stats_and_unpublishes()
    {
        var spec = await SampleContent.PushSpecAsync(_registry, fixture.Server.Host, "percall");
        using var perCall = new GrpcSocketClient(Plugin.Grpc.SocketPath, connectionPerCall: true);
        var kubelet = new KubeletClient(perCall, Plugin.Directory.Combine("kubelet"));
        var pod = TestPod.Create("dialer-0");

        var target = await kubelet.PublishAsync(pod, new Dictionary<string, string> { [VolumeContextKeys.Reference] = spec });
        var tree = TreeSnapshot.Take(target);
        var stats = await kubelet.StatsAsync(pod);
        await kubelet.UnpublishAsync(pod);
        await kubelet.UnpublishAsync(pod);

        Assert.Equal(SampleContent.ExpectedTree, tree);
        Assert.Contains(stats.Usage, u => u.Unit == VolumeUsage.Types.Unit.Bytes && u.Used > 0);
        Assert.False(MountTable.IsMountPoint(target));
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal("csi.oras.land", (await perCall.CallAsync<GetPluginInfoResponse>(GetPluginInfo, new GetPluginInfoRequest())).Name);
        }
    }

    [Fact]
    public async Task Fifty_calls_in_flight_at_once_on_one_channel_are_all_answered()
    {
        var replies = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ =>
            Plugin.Grpc.CallAsync<NodeGetInfoResponse>("/csi.v1.Node/NodeGetInfo", new NodeGetInfoRequest(), TimeSpan.FromSeconds(20))));

        Assert.All(replies, r => Assert.Equal("test-node", r.NodeId));
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using OrasAssemble.CsiNode.Grpc;
using OrasAssemble.CsiNode.Tests.TestSupport;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.CsiNode.Tests.Grpc;

/// <summary>The gRPC layer by itself, through a real socket, with a client that speaks the protocol as grpc-go does.</summary>
public sealed class GrpcEndpointTests
{
    private const string Echo = "/test.v1.Echo/Say";

    private static GrpcMethodTable EchoTable() => new GrpcMethodTable()
        .Add<StringValue, StringValue>("test.v1.Echo", "Say", (request, _) => Task.FromResult(new StringValue { Value = "echo: " + request.Value }));

    [Fact]
    public async Task A_unary_call_gets_one_framed_message_and_status_trailers()
    {
        await using var server = await GrpcTestServer.StartAsync(EchoTable());

        var reply = await server.Client.SendAsync(Echo, GrpcFrame.Encode(new StringValue { Value = "hello" }.ToByteArray()));

        Assert.Equal(HttpStatusCode.OK, reply.HttpStatus);
        Assert.Equal("application/grpc", reply.ContentType);
        var message = Assert.Single(reply.Messages);
        Assert.Equal("echo: hello", StringValue.Parser.ParseFrom(message).Value);
        Assert.Equal("0", reply.Trailers["grpc-status"]);
        Assert.False(reply.Trailers.ContainsKey("grpc-message"));
    }

    [Fact]
    public async Task A_typed_client_call_round_trips()
    {
        await using var server = await GrpcTestServer.StartAsync(EchoTable());

        var reply = await server.Client.CallAsync<StringValue>(Echo, new StringValue { Value = "π" });

        Assert.Equal("echo: π", reply.Value);
    }

    [Fact]
    public async Task An_error_status_and_its_message_arrive_in_the_trailers_percent_encoded()
    {
        const string text = "no volume \"v1\" at /var/lib/kubelet: 100% gone, naïve\nsecond line";
        var table = new GrpcMethodTable().Add<Empty, Empty>("test.v1.Fail", "Now",
            (_, _) => throw new RpcException(GrpcStatusCode.NotFound, text));
        await using var server = await GrpcTestServer.StartAsync(table);

        var reply = await server.Client.SendAsync("/test.v1.Fail/Now", GrpcFrame.Encode([]));

        Assert.Equal(HttpStatusCode.OK, reply.HttpStatus);
        Assert.Empty(reply.Messages);
        Assert.Equal("5", reply.Trailers["grpc-status"]);
        Assert.DoesNotContain(reply.Trailers["grpc-message"], c => c > 0x7E || c < 0x20);
        Assert.Equal(text, GrpcMessageText.Decode(reply.Trailers["grpc-message"]));
        var thrown = await Assert.ThrowsAsync<GrpcCallException>(() => server.Client.CallAsync<Empty>("/test.v1.Fail/Now", new Empty()));
        Assert.Equal(GrpcStatusCode.NotFound, thrown.Status);
        Assert.Equal(text, thrown.Detail);
    }

    [Fact]
    public async Task An_unknown_method_is_unimplemented()
    {
        await using var server = await GrpcTestServer.StartAsync(EchoTable());

        var thrown = await Assert.ThrowsAsync<GrpcCallException>(() => server.Client.CallAsync<Empty>("/csi.v1.Node/NodeStageVolume", new Empty()));
        var otherService = await Assert.ThrowsAsync<GrpcCallException>(() => server.Client.CallAsync<Empty>("/test.v1.Other/Say", new Empty()));

        Assert.Equal(GrpcStatusCode.Unimplemented, thrown.Status);
        Assert.Contains("/csi.v1.Node/NodeStageVolume", thrown.Detail, StringComparison.Ordinal);
        Assert.Equal(GrpcStatusCode.Unimplemented, otherService.Status);
    }

    [Fact]
    public async Task The_deadline_from_grpc_timeout_reaches_the_handler_and_ends_the_call()
    {
        DateTimeOffset? seen = null;
        var table = new GrpcMethodTable().Add<Empty, Empty>("test.v1.Slow", "Wait", async (_, context) =>
        {
            seen = context.Deadline;
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
            return new Empty();
        });
        await using var server = await GrpcTestServer.StartAsync(table);
        var before = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();

        var thrown = await Assert.ThrowsAsync<GrpcCallException>(() =>
            server.Client.CallAsync<Empty>("/test.v1.Slow/Wait", new Empty(), TimeSpan.FromMilliseconds(300)));

        Assert.Equal(GrpcStatusCode.DeadlineExceeded, thrown.Status);
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(5));
        Assert.NotNull(seen);
        Assert.InRange(seen.Value, before.AddMilliseconds(200), before.AddSeconds(2));
    }

    [Fact]
    public async Task A_handler_that_ignores_its_token_is_still_answered_at_the_deadline()
    {
        var release = new TaskCompletionSource();
        var table = new GrpcMethodTable().Add<Empty, Empty>("test.v1.Stubborn", "Wait", async (_, _) =>
        {
            await release.Task;
            return new Empty();
        });
        await using var server = await GrpcTestServer.StartAsync(table);

        var thrown = await Assert.ThrowsAsync<GrpcCallException>(() =>
            server.Client.CallAsync<Empty>("/test.v1.Stubborn/Wait", new Empty(), TimeSpan.FromMilliseconds(200)));

        Assert.Equal(GrpcStatusCode.DeadlineExceeded, thrown.Status);
        release.SetResult();
    }

    [Fact]
    public async Task A_call_without_grpc_timeout_has_no_deadline()
    {
        var table = new GrpcMethodTable().Add<Empty, BoolValue>("test.v1.Deadline", "Has",
            (_, context) => Task.FromResult(new BoolValue { Value = context.Deadline is not null }));
        await using var server = await GrpcTestServer.StartAsync(table);

        Assert.False((await server.Client.CallAsync<BoolValue>("/test.v1.Deadline/Has", new Empty())).Value);
        Assert.True((await server.Client.CallAsync<BoolValue>("/test.v1.Deadline/Has", new Empty(), TimeSpan.FromSeconds(30))).Value);
    }

    [Fact]
    public async Task Fifty_calls_in_flight_at_once_are_served_concurrently_on_one_connection()
    {
        const int calls = 50;
        var arrived = 0;
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var table = new GrpcMethodTable().Add<Int32Value, Int32Value>("test.v1.Gather", "Join", async (request, context) =>
        {
            if (Interlocked.Increment(ref arrived) == calls)
            {
                all.SetResult();
            }

            // No call finishes until every call has started: only concurrent streams get past this.
            await all.Task.WaitAsync(context.CancellationToken);
            return new Int32Value { Value = request.Value * 2 };
        });
        await using var server = await GrpcTestServer.StartAsync(table);

        var replies = await Task.WhenAll(Enumerable.Range(0, calls).Select(i =>
            server.Client.CallAsync<Int32Value>("/test.v1.Gather/Join", new Int32Value { Value = i }, TimeSpan.FromSeconds(20))));

        Assert.Equal(Enumerable.Range(0, calls).Select(i => i * 2), replies.Select(r => r.Value));
    }

    [Fact]
    public async Task An_unexpected_exception_is_internal_and_the_server_keeps_serving()
    {
        var table = EchoTable().Add<Empty, Empty>("test.v1.Broken", "Call", (_, _) => throw new InvalidOperationException("bug here"));
        await using var server = await GrpcTestServer.StartAsync(table);

        var thrown = await Assert.ThrowsAsync<GrpcCallException>(() => server.Client.CallAsync<Empty>("/test.v1.Broken/Call", new Empty()));

        Assert.Equal(GrpcStatusCode.Internal, thrown.Status);
        Assert.Contains("bug here", thrown.Detail, StringComparison.Ordinal);
        Assert.Equal("echo: still", (await server.Client.CallAsync<StringValue>(Echo, new StringValue { Value = "still" })).Value);
    }

    [Theory]
    [InlineData(new byte[] { 0, 0, 0, 0, 9, 1 }, (int)GrpcStatusCode.Internal)]           // announces 9 bytes, 1 follows
    [InlineData(new byte[] { 0, 0, 0 }, (int)GrpcStatusCode.Internal)]                     // header cut short
    [InlineData(new byte[] { 1, 0, 0, 0, 0 }, (int)GrpcStatusCode.Internal)]               // compressed without an encoding
    [InlineData(new byte[] { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, (int)GrpcStatusCode.Unimplemented)] // two messages on a unary call
    [InlineData(new byte[0], (int)GrpcStatusCode.Unimplemented)]                           // no message at all
    [InlineData(new byte[] { 0, 0, 0, 0, 2, 0xFF, 0xFF }, (int)GrpcStatusCode.Internal)]   // not a protobuf message
    public async Task Malformed_request_bodies_get_a_status_not_a_crash(byte[] body, int expected)
    {
        await using var server = await GrpcTestServer.StartAsync(EchoTable());

        var reply = await server.Client.SendAsync(Echo, body);

        Assert.Equal(HttpStatusCode.OK, reply.HttpStatus);
        Assert.Equal(expected, reply.Status);
        Assert.Empty(reply.Messages);
    }

    [Fact]
    public async Task A_message_over_the_size_limit_is_resource_exhausted()
    {
        await using var server = await GrpcTestServer.StartAsync(EchoTable(), maxMessageBytes: 1024);

        var reply = await server.Client.SendAsync(Echo, GrpcFrame.Encode(new StringValue { Value = new string('x', 4096) }.ToByteArray()));

        Assert.Equal((int)GrpcStatusCode.ResourceExhausted, reply.Status);
    }

    [Fact]
    public async Task A_compressed_encoding_is_unimplemented()
    {
        await using var server = await GrpcTestServer.StartAsync(EchoTable());

        var reply = await server.Client.SendAsync(Echo, GrpcFrame.Encode([]), headers: new Dictionary<string, string> { ["grpc-encoding"] = "gzip" });

        Assert.Equal((int)GrpcStatusCode.Unimplemented, reply.Status);
        Assert.Equal("identity", reply.Headers["grpc-accept-encoding"]);
    }

    [Fact]
    public async Task A_malformed_grpc_timeout_is_refused()
    {
        await using var server = await GrpcTestServer.StartAsync(EchoTable());

        var reply = await server.Client.SendAsync(Echo, GrpcFrame.Encode([]), headers: new Dictionary<string, string> { ["grpc-timeout"] = "soon" });

        Assert.Equal((int)GrpcStatusCode.Internal, reply.Status);
    }

    [Fact]
    public async Task A_request_that_is_not_grpc_is_refused_with_an_http_status()
    {
        await using var server = await GrpcTestServer.StartAsync(EchoTable());

        var reply = await server.Client.SendAsync(Echo, "{}"u8.ToArray(), contentType: "application/json");

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, reply.HttpStatus);
    }

    [Fact]
    public async Task A_stale_socket_is_removed_at_start_and_a_live_one_is_not_taken_over()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("sock", "csi.sock");
        Directory.CreateDirectory(dir.Combine("sock"));
        StaleSocket.Create(path);

        Assert.True(File.Exists(path));
        await using (var server = await GrpcTestServer.StartAsync(EchoTable(), socketPath: path))
        {
            Assert.Equal("echo: up", (await server.Client.CallAsync<StringValue>(Echo, new StringValue { Value = "up" })).Value);
            var taken = Assert.Throws<IOException>(() => new UnixSocketEndpoint(path).PrepareToListen());
            Assert.Contains("another process", taken.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("1H", 3600_000)]
    [InlineData("2M", 120_000)]
    [InlineData("30S", 30_000)]
    [InlineData("1500m", 1500)]
    [InlineData("2000u", 2)]
    [InlineData("3000000n", 3)]
    [InlineData("99999999S", 99_999_999_000)]
    public void Timeouts_parse_in_every_unit(string text, long milliseconds)
    {
        Assert.True(GrpcTimeout.TryParse(text, out var timeout));
        Assert.Equal(milliseconds, (long)timeout.TotalMilliseconds);
    }

    [Theory]
    [InlineData("")]
    [InlineData("S")]
    [InlineData("10")]
    [InlineData("10s")]
    [InlineData("-1S")]
    [InlineData("123456789S")]
    [InlineData("1.5S")]
    public void Malformed_timeouts_do_not_parse(string text) => Assert.False(GrpcTimeout.TryParse(text, out _));

    [Theory]
    [InlineData("plain text")]
    [InlineData("100% sure")]
    [InlineData("ünïcödé ✓ and \t tabs\r\n")]
    [InlineData("")]
    public void Status_messages_survive_encoding(string text) => Assert.Equal(text, GrpcMessageText.Decode(GrpcMessageText.Encode(text)));
}

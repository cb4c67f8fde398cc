using OrasAssemble.CsiNode.Csi;
using OrasAssemble.CsiNode.Tests.TestSupport;
using OrasAssemble.CsiNode.Transport;

namespace OrasAssemble.CsiNode.Tests.Transport;

/// <summary>
/// Every <c>:authority</c> a CSI client sends, in every HPACK form, reaches the services; header blocks arrive whole
/// however they are split and padded; and a block that cannot be decoded, or is too large, ends only its connection.
/// </summary>
public sealed class AuthorityRewriterTests : IAsyncLifetime
{
    private const string GetPluginInfo = "/csi.v1.Identity/GetPluginInfo";

    private PluginUnderTest? _plugin;

    private PluginUnderTest Plugin => _plugin!;

    /// <summary>What kubelet 1.26+ and the sidecars send, what grpc-go sends for a bare path, and older clients' raw path.</summary>
    private static string[] Authorities(string socket) => ["localhost", Uri.EscapeDataString(socket), socket, "unix://" + socket];

    public async Task InitializeAsync() => _plugin = await PluginUnderTest.StartAsync();

    public async Task DisposeAsync() => await Plugin.DisposeAsync();

    private string Socket => Plugin.Grpc.SocketPath;

    private static void AssertServed(Http2Reply reply)
    {
        Assert.Null(reply.ResetCode);
        Assert.False(reply.ConnectionClosed);
        Assert.Equal(0, reply.GrpcStatus);
        Assert.Equal("csi.oras.land", GetPluginInfoResponse.Parser.ParseFrom(reply.Message).Name);
    }

    [Theory]
    [InlineData("without indexing")]
    [InlineData("never indexed")]
    [InlineData("incremental, Huffman")]
    [InlineData("new name, Huffman")]
    public async Task Each_authority_form_is_served_in_each_literal_form(string form)
    {
        await using var connection = await RawHttp2Connection.OpenAsync(Socket);
        foreach (var authority in Authorities(Socket))
        {
            var block = new HpackBlock().GrpcRequest(GetPluginInfo);
            block = form switch
            {
                "without indexing" => block.WithoutIndexing(1, authority),
                "never indexed" => block.NeverIndexed(1, authority),
                "incremental, Huffman" => block.Incremental(1, authority, huffman: true),
                _ => block.WithoutIndexing(0, authority, huffman: true, name: ":authority"),
            };

            AssertServed(await connection.CallAsync(block.GrpcFields().ToArray(), []));
        }
    }

    [Fact]
    public async Task An_authority_indexed_once_is_served_on_every_later_call_and_after_the_table_is_resized()
    {
        var escaped = Uri.EscapeDataString(Socket);
        await using var connection = await RawHttp2Connection.OpenAsync(Socket);

        // As grpc-go does: the first call adds the authority to the table, later calls name it by index.
        AssertServed(await connection.CallAsync(new HpackBlock().GrpcRequest(GetPluginInfo).Incremental(1, escaped, huffman: true).GrpcFields().ToArray(), []));
        for (var i = 0; i < 200; i++)
        {
            AssertServed(await connection.CallAsync(new HpackBlock().GrpcRequest(GetPluginInfo).Indexed(62).GrpcFields().ToArray(), []));
        }

        // Emptied and sized again: the entry is gone, so a new one takes index 62.
        AssertServed(await connection.CallAsync(new HpackBlock().SizeUpdate(0).SizeUpdate(256).GrpcRequest(GetPluginInfo).Incremental(1, Socket).GrpcFields().ToArray(), []));
        AssertServed(await connection.CallAsync(new HpackBlock().GrpcRequest(GetPluginInfo).Indexed(62).GrpcFields().ToArray(), []));
        AssertServed(await connection.CallAsync(new HpackBlock().GrpcRequest(GetPluginInfo).Incremental(0, "localhost", name: ":authority").GrpcFields().ToArray(), []));

        // The path, pushed to index 63 by the newer entry.
        AssertServed(await connection.CallAsync(new HpackBlock().GrpcRequest(GetPluginInfo).Indexed(63).GrpcFields().ToArray(), []));
    }

    [Fact]
    public async Task A_block_split_over_continuation_frames_with_padding_and_priority_arrives_whole()
    {
        var block = new HpackBlock().GrpcRequest(GetPluginInfo).Incremental(1, Uri.EscapeDataString(Socket), huffman: true).GrpcFields()
            .WithoutIndexing(0, new string('x', 300), name: "x-filler").ToArray();
        await using var connection = await RawHttp2Connection.OpenAsync(Socket);
        var stream = connection.NextStream();
        byte[] priority = [0, 0, 0, 0, 15];
        byte[] padding = new byte[7];

        await connection.WriteFrameAsync(RawHttp2Connection.Headers, RawHttp2Connection.Padded | RawHttp2Connection.Priority, stream,
            [(byte)padding.Length, .. priority, .. block[..10], .. padding]);
        await connection.WriteFrameAsync(RawHttp2Connection.Continuation, 0, stream, block[10..200]);
        await connection.WriteFrameAsync(RawHttp2Connection.Continuation, RawHttp2Connection.EndHeaders, stream, block[200..]);
        await connection.WriteFrameAsync(RawHttp2Connection.Data, RawHttp2Connection.EndStream, stream, RawHttp2Connection.GrpcMessage([]));

        AssertServed(await connection.ReadReplyAsync(stream));
    }

    [Fact]
    public async Task A_block_that_does_not_decode_closes_its_connection_with_a_warning_and_others_are_served()
    {
        await using var broken = await RawHttp2Connection.OpenAsync(Socket);
        var stream = broken.NextStream();

        // Index 70 while the client has added nothing to its table.
        await broken.WriteFrameAsync(RawHttp2Connection.Headers, RawHttp2Connection.EndHeaders | RawHttp2Connection.EndStream, stream,
            new HpackBlock().GrpcRequest(GetPluginInfo).Indexed(70).GrpcFields().ToArray());
        var reply = await broken.ReadReplyAsync(stream);

        Assert.True(reply.ConnectionClosed);
        Assert.Contains(Plugin.Logs.Entries, e => e.StartsWith("Warning", StringComparison.Ordinal) && e.Contains("[111]", StringComparison.Ordinal) && e.Contains("index 70", StringComparison.Ordinal));
        await using var next = await RawHttp2Connection.OpenAsync(Socket);
        AssertServed(await next.CallAsync(new HpackBlock().GrpcRequest(GetPluginInfo).WithoutIndexing(1, Socket).GrpcFields().ToArray(), []));
    }

    [Fact]
    public async Task A_header_block_past_the_bound_closes_its_connection()
    {
        await using var connection = await RawHttp2Connection.OpenAsync(Socket);
        var stream = connection.NextStream();
        var filler = new byte[Http2Bounds.MaxFrameSize];

        await connection.WriteFrameAsync(RawHttp2Connection.Headers, 0, stream, new HpackBlock().GrpcRequest(GetPluginInfo).ToArray());
        for (var i = 0; i < (Http2Bounds.MaxHeaderBlockBytes / filler.Length) + 1; i++)
        {
            await connection.WriteFrameAsync(RawHttp2Connection.Continuation, 0, stream, filler);
        }

        var reply = await connection.ReadReplyAsync(stream);

        Assert.True(reply.ConnectionClosed);
        Assert.Contains(Plugin.Logs.Entries, e => e.Contains("[111]", StringComparison.Ordinal) && e.Contains($"exceeds {Http2Bounds.MaxHeaderBlockBytes} bytes", StringComparison.Ordinal));
    }
}

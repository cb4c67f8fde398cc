using System.Buffers.Binary;
using System.Net.Sockets;
using OrasAssemble.CsiNode.Transport;

namespace OrasAssemble.CsiNode.Tests.TestSupport;

/// <summary>
/// An HTTP/2 connection to a unix socket that sends header blocks exactly as a test writes them (any HPACK form, any
/// split into frames), one unary gRPC call at a time, and reads the answer frame by frame.
/// </summary>
internal sealed class RawHttp2Connection : IAsyncDisposable
{
    public const byte Data = 0x0, Headers = 0x1, RstStream = 0x3, Settings = 0x4, Ping = 0x6, GoAway = 0x7, WindowUpdate = 0x8, Continuation = 0x9;
    public const byte EndStream = 0x1, EndHeaders = 0x4, Padded = 0x8, Priority = 0x20;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly HpackDecoder _responses = new(4096, 1 << 20);
    private int _nextStream = 1;

    private RawHttp2Connection(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    public static async Task<RawHttp2Connection> OpenAsync(string socketPath)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath));
        var connection = new RawHttp2Connection(socket);
        await connection.WriteAsync("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray());
        await connection.WriteFrameAsync(Settings, 0, 0, []);
        return connection;
    }

    /// <summary>A stream id for the next request.</summary>
    public int NextStream()
    {
        var id = _nextStream;
        _nextStream += 2;
        return id;
    }

    /// <summary>Sends one call: the header block in one HEADERS frame, then the message in a DATA frame that ends the stream.</summary>
    public async Task<Http2Reply> CallAsync(byte[] headerBlock, byte[] message)
    {
        var stream = NextStream();
        await WriteFrameAsync(Headers, EndHeaders, stream, headerBlock);
        await WriteFrameAsync(Data, EndStream, stream, GrpcMessage(message));
        return await ReadReplyAsync(stream);
    }

    /// <summary>The length-prefixed gRPC message of an uncompressed <paramref name="message"/>.</summary>
    public static byte[] GrpcMessage(byte[] message)
    {
        var framed = new byte[5 + message.Length];
        BinaryPrimitives.WriteUInt32BigEndian(framed.AsSpan(1), (uint)message.Length);
        message.CopyTo(framed, 5);
        return framed;
    }

    public async Task WriteFrameAsync(byte type, byte flags, int stream, byte[] payload)
    {
        var frame = new byte[9 + payload.Length];
        frame[0] = (byte)(payload.Length >> 16);
        frame[1] = (byte)(payload.Length >> 8);
        frame[2] = (byte)payload.Length;
        frame[3] = type;
        frame[4] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(5), (uint)stream);
        payload.CopyTo(frame, 9);
        await WriteAsync(frame);
    }

    /// <summary>Reads frames until <paramref name="stream"/> ends, is reset, or the connection goes away.</summary>
    public async Task<Http2Reply> ReadReplyAsync(int stream)
    {
        var headers = new List<HpackField>();
        var trailers = new List<HpackField>();
        var data = new List<byte>();
        var block = new List<byte>();
        var ending = false;
        while (true)
        {
            var frame = await ReadFrameAsync();
            if (frame is null)
            {
                return new Http2Reply(headers, data.ToArray(), trailers, ResetCode: null, ConnectionClosed: true);
            }

            var (type, flags, id, payload) = frame.Value;
            switch (type)
            {
                case Settings when (flags & 0x1) == 0:
                    await WriteFrameAsync(Settings, 0x1, 0, []);
                    break;
                case Ping when (flags & 0x1) == 0:
                    await WriteFrameAsync(Ping, 0x1, 0, payload);
                    break;
                case GoAway:
                    return new Http2Reply(headers, data.ToArray(), trailers, ResetCode: null, ConnectionClosed: true);
                case RstStream when id == stream:
                    return new Http2Reply(headers, data.ToArray(), trailers, BinaryPrimitives.ReadUInt32BigEndian(payload), ConnectionClosed: false);
                case Data when id == stream:
                    data.AddRange(payload);
                    if (payload.Length > 0)
                    {
                        var window = new byte[4];
                        BinaryPrimitives.WriteUInt32BigEndian(window, (uint)payload.Length);
                        await WriteFrameAsync(WindowUpdate, 0, 0, window);
                    }

                    if ((flags & EndStream) != 0)
                    {
                        return new Http2Reply(headers, data.ToArray(), trailers, ResetCode: null, ConnectionClosed: false);
                    }

                    break;
                case Headers or Continuation:
                    block.AddRange(payload);
                    ending |= type == Headers && (flags & EndStream) != 0;
                    if ((flags & EndHeaders) != 0)
                    {
                        var fields = _responses.Decode(block.ToArray());
                        block.Clear();
                        (headers.Count == 0 ? headers : trailers).AddRange(fields);
                        if (ending)
                        {
                            return new Http2Reply(headers, data.ToArray(), trailers, ResetCode: null, ConnectionClosed: false);
                        }
                    }

                    break;
            }
        }
    }

    public async ValueTask DisposeAsync() => await _stream.DisposeAsync();

    private async Task WriteAsync(byte[] bytes) => await _stream.WriteAsync(bytes);

    private async Task<(byte Type, byte Flags, int Stream, byte[] Payload)?> ReadFrameAsync()
    {
        var header = new byte[9];
        try
        {
            await _stream.ReadExactlyAsync(header).AsTask().WaitAsync(TimeSpan.FromSeconds(20));
            var payload = new byte[(header[0] << 16) | (header[1] << 8) | header[2]];
            await _stream.ReadExactlyAsync(payload).AsTask().WaitAsync(TimeSpan.FromSeconds(20));
            return (header[3], header[4], (int)(BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(5)) & 0x7FFFFFFF), payload);
        }
        catch (Exception e) when (e is EndOfStreamException or IOException)
        {
            return null;
        }
    }
}

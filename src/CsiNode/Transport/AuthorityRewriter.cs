using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using OrasAssemble.Text;

namespace OrasAssemble.CsiNode.Transport;

/// <summary>
/// Sits between the unix socket and Kestrel's HTTP/2 and makes every request's <c>:authority</c> one Kestrel serves.
/// Clients that dial a socket path (kubelet up to 1.25, grpc-go with a context dialer, python grpc) send the path,
/// raw or percent-encoded, and Kestrel resets such a stream before any handler runs; the path means nothing to this
/// server, so it becomes <c>localhost</c>, the authority kubelet and the sidecars send themselves.
/// </summary>
/// <remarks>
/// HPACK is stateful, so a header block cannot be edited in place: the rewriter decodes every client header block
/// (HEADERS and CONTINUATION, padding and priority handled) with a decoder that keeps the client's dynamic table, and
/// encodes it again for Kestrel as literals that are never indexed, so Kestrel's table stays empty and cannot drift
/// from anything. Every other frame is copied through untouched, and nothing from the server to the client is touched.
/// A block that does not decode closes the connection, as HTTP/2 requires of a compression error.
/// </remarks>
internal sealed partial class AuthorityRewriter
{
    public const string Replacement = "localhost";

    private const byte Headers = 0x1;
    private const byte Continuation = 0x9;
    private const byte EndStream = 0x1;
    private const byte EndHeaders = 0x4;
    private const byte Padded = 0x8;
    private const byte Priority = 0x20;
    private const int FrameHeaderLength = 9;

    private static readonly byte[] Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();

    private readonly HpackDecoder _decoder = new(Http2Bounds.HeaderTableSize, Http2Bounds.MaxHeaderListBytes);
    private readonly ArrayBufferWriter<byte> _block = new();
    private readonly ArrayBufferWriter<byte> _encoded = new();
    private readonly ILogger _logger;
    private bool _prefaceSeen;
    private bool _notHttp2;
    private long _copyThrough;
    private int _blockStream = -1;
    private byte _blockFlags;
    private byte[]? _priority;

    private AuthorityRewriter(ILogger logger) => _logger = logger;

    /// <summary>Connection middleware for <c>ListenOptions.Use</c>: serves <paramref name="connection"/> through a rewriter.</summary>
    public static async Task ServeAsync(ConnectionContext connection, ConnectionDelegate next, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(next);
        var transport = connection.Transport;
        var toServer = new Pipe(new PipeOptions(useSynchronizationContext: false));
        connection.Transport = new DuplexPipe(toServer.Reader, transport.Output);
        var pump = new AuthorityRewriter(logger).PumpAsync(transport.Input, toServer.Writer);
        try
        {
            await next(connection).ConfigureAwait(false);
        }
        finally
        {
            await toServer.Reader.CompleteAsync().ConfigureAwait(false);
            transport.Input.CancelPendingRead();
            await pump.ConfigureAwait(false);
            connection.Transport = transport;
        }
    }

    /// <summary>Copies <paramref name="input"/> to <paramref name="output"/>, header blocks rewritten, until either side ends.</summary>
    internal async Task PumpAsync(PipeReader input, PipeWriter output)
    {
        Exception? failure = null;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync().ConfigureAwait(false);
                var consumed = Process(result.Buffer, output);
                input.AdvanceTo(consumed, result.Buffer.End);
                var flush = await output.FlushAsync().ConfigureAwait(false);
                if (flush.IsCompleted || result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is HpackException or InvalidDataException)
        {
            LogConnectionClosed(_logger, e.Message);
            failure = e;
        }
        finally
        {
            await output.CompleteAsync(failure).ConfigureAwait(false);
            await input.CompleteAsync().ConfigureAwait(false);
        }
    }

    private SequencePosition Process(ReadOnlySequence<byte> buffer, PipeWriter output)
    {
        var reader = new SequenceReader<byte>(buffer);
        Span<byte> header = stackalloc byte[FrameHeaderLength];
        Span<byte> start = stackalloc byte[Preface.Length];
        while (!reader.End)
        {
            if (_notHttp2)
            {
                Copy(reader.UnreadSequence, output);
                reader.AdvanceToEnd();
                break;
            }

            if (!_prefaceSeen)
            {
                var available = (int)Math.Min(reader.Remaining, Preface.Length);
                reader.TryCopyTo(start[..available]);
                if (!start[..available].SequenceEqual(Preface.AsSpan(0, available)))
                {
                    // Not HTTP/2 with prior knowledge: Kestrel answers it as it sees fit.
                    _notHttp2 = true;
                    continue;
                }

                if (available < Preface.Length)
                {
                    break;
                }

                output.Write(Preface);
                reader.Advance(Preface.Length);
                _prefaceSeen = true;
                continue;
            }

            if (_copyThrough > 0)
            {
                var length = Math.Min(_copyThrough, reader.Remaining);
                Copy(reader.UnreadSequence.Slice(0, length), output);
                reader.Advance(length);
                _copyThrough -= length;
                continue;
            }

            if (!reader.TryCopyTo(header))
            {
                break;
            }

            var payloadLength = (header[0] << 16) | (header[1] << 8) | header[2];
            var type = header[3];
            var flags = header[4];
            var stream = (int)(BinaryPrimitives.ReadUInt32BigEndian(header[5..]) & 0x7FFFFFFF);
            if (type is Headers or Continuation)
            {
                if (payloadLength > Http2Bounds.MaxFrameSize)
                {
                    throw new InvalidDataException($"a header frame of {payloadLength} bytes exceeds the maximum frame size {Http2Bounds.MaxFrameSize}");
                }

                if (reader.Remaining < FrameHeaderLength + payloadLength)
                {
                    break;
                }

                reader.Advance(FrameHeaderLength);
                var payload = reader.UnreadSequence.Slice(0, payloadLength).ToArray();
                reader.Advance(payloadLength);
                HeaderFrame(type, flags, stream, payload, output);
                continue;
            }

            if (_blockStream >= 0)
            {
                throw new InvalidDataException($"a frame of type {type} arrived inside the header block of stream {_blockStream}");
            }

            output.Write(header);
            reader.Advance(FrameHeaderLength);
            _copyThrough = payloadLength;
        }

        return reader.Position;
    }

    private void HeaderFrame(byte type, byte flags, int stream, byte[] payload, PipeWriter output)
    {
        ReadOnlySpan<byte> fragment = payload;
        if (type == Headers)
        {
            if (_blockStream >= 0)
            {
                throw new InvalidDataException($"a HEADERS frame on stream {stream} arrived inside the header block of stream {_blockStream}");
            }

            var padding = 0;
            if ((flags & Padded) != 0)
            {
                padding = fragment.Length > 0 ? fragment[0] : throw new InvalidDataException("a padded HEADERS frame has no pad length");
                fragment = fragment[1..];
            }

            _priority = null;
            if ((flags & Priority) != 0)
            {
                _priority = fragment.Length >= 5 ? fragment[..5].ToArray() : throw new InvalidDataException("a HEADERS frame is too short for its priority");
                fragment = fragment[5..];
            }

            if (padding > fragment.Length)
            {
                throw new InvalidDataException("a HEADERS frame's padding is longer than the frame");
            }

            fragment = fragment[..^padding];
            _blockStream = stream;
            _blockFlags = (byte)(flags & (EndStream | Priority));
            _block.Clear();
        }
        else if (_blockStream != stream)
        {
            throw new InvalidDataException($"a CONTINUATION frame on stream {stream} follows no header block of that stream");
        }

        if (_block.WrittenCount + fragment.Length > Http2Bounds.MaxHeaderBlockBytes)
        {
            throw new InvalidDataException($"a header block exceeds {Http2Bounds.MaxHeaderBlockBytes} bytes");
        }

        _block.Write(fragment);
        if ((flags & EndHeaders) != 0)
        {
            EndBlock(output);
        }
    }

    private void EndBlock(PipeWriter output)
    {
        var fields = _decoder.Decode(_block.WrittenSpan);
        for (var i = 0; i < fields.Count; i++)
        {
            if (fields[i].Name is ":authority" or "host" && !HostAuthority.IsValid(fields[i].Value))
            {
                LogAuthorityReplaced(_logger, fields[i].Name, QuotedValue.Of(fields[i].Value), _blockStream);
                fields[i] = fields[i] with { Value = Replacement };
            }
        }

        _encoded.Clear();
        HpackLiteralEncoder.Encode(fields, _encoded);
        WriteBlock(_encoded.WrittenSpan, output);
        _blockStream = -1;
    }

    /// <summary>One HEADERS frame, then CONTINUATION frames, none larger than the server's maximum frame size.</summary>
    private void WriteBlock(ReadOnlySpan<byte> block, PipeWriter output)
    {
        var priorityLength = _priority?.Length ?? 0;
        var chunk = Math.Min(block.Length, Http2Bounds.MaxFrameSize - priorityLength);
        var last = chunk == block.Length;
        WriteFrameHeader(output, priorityLength + chunk, Headers, (byte)(_blockFlags | (last ? EndHeaders : 0)));
        if (_priority is not null)
        {
            output.Write(_priority);
        }

        output.Write(block[..chunk]);
        block = block[chunk..];
        while (block.Length > 0)
        {
            chunk = Math.Min(block.Length, Http2Bounds.MaxFrameSize);
            WriteFrameHeader(output, chunk, Continuation, chunk == block.Length ? EndHeaders : (byte)0);
            output.Write(block[..chunk]);
            block = block[chunk..];
        }
    }

    private void WriteFrameHeader(PipeWriter output, int length, byte type, byte flags)
    {
        var header = output.GetSpan(FrameHeaderLength);
        header[0] = (byte)(length >> 16);
        header[1] = (byte)(length >> 8);
        header[2] = (byte)length;
        header[3] = type;
        header[4] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(header[5..], (uint)_blockStream);
        output.Advance(FrameHeaderLength);
    }

    private static void Copy(ReadOnlySequence<byte> bytes, PipeWriter output)
    {
        foreach (var segment in bytes)
        {
            output.Write(segment.Span);
        }
    }

    [LoggerMessage(EventId = 110, Level = LogLevel.Debug, Message = "{Header} {Value} on stream {Stream} is not a host name; served as localhost")]
    private static partial void LogAuthorityReplaced(ILogger logger, string header, string value, int stream);

    [LoggerMessage(EventId = 111, Level = LogLevel.Warning, Message = "closed a connection on the CSI socket: {Reason}")]
    private static partial void LogConnectionClosed(ILogger logger, string reason);

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}

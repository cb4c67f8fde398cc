using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;

namespace OrasAssemble.CsiNode.Grpc;

/// <summary>
/// gRPC's length-prefixed messages: one byte compressed flag, four bytes big-endian length, then the message.
/// </summary>
internal static class GrpcFrame
{
    public const int HeaderLength = 5;

    public static byte[] Encode(ReadOnlySpan<byte> message)
    {
        var frame = new byte[HeaderLength + message.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)message.Length);
        message.CopyTo(frame.AsSpan(HeaderLength));
        return frame;
    }

    /// <summary>Every message in <paramref name="body"/>, which must hold whole frames and nothing else.</summary>
    /// <exception cref="InvalidDataException">A frame is cut short or compressed.</exception>
    public static IReadOnlyList<byte[]> DecodeAll(ReadOnlySpan<byte> body)
    {
        var messages = new List<byte[]>();
        while (body.Length > 0)
        {
            var (message, used) = DecodeOne(body);
            messages.Add(message);
            body = body[used..];
        }

        return messages;
    }

    /// <summary>
    /// Reads the one message a unary call carries, refusing to buffer more than <paramref name="maxMessageBytes"/>.
    /// </summary>
    /// <exception cref="RpcException">No message, more than one, a compressed one, or one that is too large.</exception>
    public static async Task<byte[]> ReadSingleAsync(PipeReader reader, int maxMessageBytes, CancellationToken cancellationToken)
    {
        long limit = (long)maxMessageBytes + HeaderLength;
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (buffer.Length >= HeaderLength)
            {
                var header = buffer.Slice(0, HeaderLength).ToArray();
                var length = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(1));
                if (length > maxMessageBytes)
                {
                    throw new RpcException(GrpcStatusCode.ResourceExhausted,
                        $"the request message is {length} bytes, more than the limit of {maxMessageBytes}");
                }
            }

            if (buffer.Length > limit)
            {
                throw new RpcException(GrpcStatusCode.ResourceExhausted, $"the request is more than {maxMessageBytes} bytes");
            }

            if (!result.IsCompleted)
            {
                reader.AdvanceTo(buffer.Start, buffer.End);
                continue;
            }

            var body = buffer.ToArray();
            reader.AdvanceTo(buffer.End);
            IReadOnlyList<byte[]> messages;
            try
            {
                messages = DecodeAll(body);
            }
            catch (InvalidDataException e)
            {
                throw new RpcException(GrpcStatusCode.Internal, e.Message, e);
            }

            return messages.Count == 1
                ? messages[0]
                : throw new RpcException(GrpcStatusCode.Unimplemented,
                    $"a unary call carries exactly one request message; this one carried {messages.Count}");
        }
    }

    private static (byte[] Message, int Used) DecodeOne(ReadOnlySpan<byte> body)
    {
        if (body.Length < HeaderLength)
        {
            throw new InvalidDataException($"a message frame is cut short: {body.Length} of its 5 header bytes");
        }

        if (body[0] != 0)
        {
            throw new InvalidDataException(body[0] == 1
                ? "the message is compressed, but no compression was negotiated"
                : $"the message frame has an unknown flag byte {body[0]}");
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(body[1..]);
        if (length > body.Length - HeaderLength)
        {
            throw new InvalidDataException($"a message frame announces {length} bytes but only {body.Length - HeaderLength} follow");
        }

        return (body.Slice(HeaderLength, (int)length).ToArray(), HeaderLength + (int)length);
    }
}

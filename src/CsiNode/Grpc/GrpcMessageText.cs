using System.Globalization;
using System.Text;

namespace OrasAssemble.CsiNode.Grpc;

/// <summary>
/// The <c>grpc-message</c> trailer's encoding: UTF-8, with every byte outside printable ASCII, and '%' itself,
/// written as <c>%XX</c>, so any text survives an HTTP/2 header.
/// </summary>
internal static class GrpcMessageText
{
    public static string Encode(string message)
    {
        var builder = new StringBuilder(message.Length);
        foreach (var b in Encoding.UTF8.GetBytes(message))
        {
            if (b is >= 0x20 and <= 0x7E and not (byte)'%')
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }

    /// <summary>Reverses <see cref="Encode"/>; a malformed escape is kept as written, as the protocol asks.</summary>
    public static string Decode(string encoded)
    {
        var bytes = new List<byte>(encoded.Length);
        for (var i = 0; i < encoded.Length; i++)
        {
            if (encoded[i] == '%' && i + 2 < encoded.Length
                && byte.TryParse(encoded.AsSpan(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var b))
            {
                bytes.Add(b);
                i += 2;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(encoded[i].ToString()));
            }
        }

        return Encoding.UTF8.GetString(bytes.ToArray());
    }
}

using System.Buffers;
using System.Text;

namespace OrasAssemble.CsiNode.Transport;

/// <summary>
/// Encodes header fields as literals that never enter a dynamic table (RFC 7541, sections 6.2.2 and 6.2.3), names by
/// static index where the static table has them, strings as plain octets. The receiving decoder's dynamic table
/// stays empty, so there is no state to keep in step with it.
/// </summary>
internal static class HpackLiteralEncoder
{
    public static void Encode(IEnumerable<HpackField> fields, IBufferWriter<byte> output)
    {
        foreach (var field in fields)
        {
            var nameIndex = HpackStaticTable.IndexOfName(field.Name);
            WriteInteger(output, field.NeverIndexed ? (byte)0x10 : (byte)0x00, 4, nameIndex);
            if (nameIndex == 0)
            {
                WriteString(output, field.Name);
            }

            WriteString(output, field.Value);
        }
    }

    private static void WriteString(IBufferWriter<byte> output, string value)
    {
        WriteInteger(output, 0x00, 7, value.Length);
        var span = output.GetSpan(value.Length);
        var written = Encoding.Latin1.GetBytes(value, span);
        output.Advance(written);
    }

    private static void WriteInteger(IBufferWriter<byte> output, byte pattern, int prefixBits, int value)
    {
        var span = output.GetSpan(6);
        var mask = (1 << prefixBits) - 1;
        if (value < mask)
        {
            span[0] = (byte)(pattern | value);
            output.Advance(1);
            return;
        }

        span[0] = (byte)(pattern | mask);
        var used = 1;
        value -= mask;
        while (value >= 0x80)
        {
            span[used++] = (byte)((value & 0x7F) | 0x80);
            value >>= 7;
        }

        span[used++] = (byte)value;
        output.Advance(used);
    }
}

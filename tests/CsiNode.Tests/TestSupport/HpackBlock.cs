using System.Text;
using OrasAssemble.CsiNode.Transport;

namespace OrasAssemble.CsiNode.Tests.TestSupport;

/// <summary>Writes a header block field by field in exactly the HPACK representation a test asks for.</summary>
internal sealed class HpackBlock
{
    private readonly List<byte> _bytes = [];

    public byte[] ToArray() => [.. _bytes];

    /// <summary>An indexed field (static 1–61, dynamic from 62).</summary>
    public HpackBlock Indexed(int index) => Integer(0x80, 7, index);

    /// <summary>A literal that the receiver adds to its dynamic table; name by index, or new when <paramref name="nameIndex"/> is 0.</summary>
    public HpackBlock Incremental(int nameIndex, string value, bool huffman = false, string? name = null) =>
        Literal(0x40, 6, nameIndex, name, value, huffman);

    public HpackBlock WithoutIndexing(int nameIndex, string value, bool huffman = false, string? name = null) =>
        Literal(0x00, 4, nameIndex, name, value, huffman);

    public HpackBlock NeverIndexed(int nameIndex, string value, bool huffman = false, string? name = null) =>
        Literal(0x10, 4, nameIndex, name, value, huffman);

    public HpackBlock SizeUpdate(int size) => Integer(0x20, 5, size);

    /// <summary>The pseudo-header fields of a gRPC request but its authority: POST, http, the path.</summary>
    public HpackBlock GrpcRequest(string path) => Indexed(3).Indexed(6).WithoutIndexing(4, path);

    /// <summary>The ordinary fields of a gRPC request, after all pseudo-header fields: content type and te.</summary>
    public HpackBlock GrpcFields() => WithoutIndexing(31, "application/grpc").WithoutIndexing(0, "trailers", name: "te");

    private HpackBlock Literal(byte pattern, int prefix, int nameIndex, string? name, string value, bool huffman)
    {
        Integer(pattern, prefix, nameIndex);
        if (nameIndex == 0)
        {
            String(name ?? throw new ArgumentNullException(nameof(name)), huffman);
        }

        return String(value, huffman);
    }

    private HpackBlock String(string text, bool huffman)
    {
        var octets = Encoding.Latin1.GetBytes(text);
        if (!huffman)
        {
            Integer(0x00, 7, octets.Length);
            _bytes.AddRange(octets);
            return this;
        }

        var coded = new List<byte>();
        ulong bits = 0;
        var count = 0;
        foreach (var b in octets)
        {
            var (code, length) = HpackHuffman.Code(b);
            bits = (bits << length) | code;
            count += length;
            while (count >= 8)
            {
                coded.Add((byte)(bits >> (count - 8)));
                count -= 8;
            }
        }

        if (count > 0)
        {
            // Padded with the most significant bits of end-of-string: ones.
            coded.Add((byte)((bits << (8 - count)) | (0xFFu >> count)));
        }

        Integer(0x80, 7, coded.Count);
        _bytes.AddRange(coded);
        return this;
    }

    private HpackBlock Integer(byte pattern, int prefix, int value)
    {
        var mask = (1 << prefix) - 1;
        if (value < mask)
        {
            _bytes.Add((byte)(pattern | value));
            return this;
        }

        _bytes.Add((byte)(pattern | mask));
        value -= mask;
        while (value >= 0x80)
        {
            _bytes.Add((byte)((value & 0x7F) | 0x80));
            value >>= 7;
        }

        _bytes.Add((byte)value);
        return this;
    }
}

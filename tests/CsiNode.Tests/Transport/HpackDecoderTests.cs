using OrasAssemble.CsiNode.Transport;

namespace OrasAssemble.CsiNode.Tests.Transport;

/// <summary>The header block decoder against the examples of RFC 7541, appendix C, and the ways a block can be wrong.</summary>
public sealed class HpackDecoderTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    private static string[] Lines(IEnumerable<HpackField> fields) => [.. fields.Select(f => $"{f.Name}: {f.Value}")];

    [Theory]
    [InlineData("8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d", "8286 84be 5808 6e6f 2d63 6163 6865",
        "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65")]
    [InlineData("8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff", "8286 84be 5886 a8eb 1064 9cbf",
        "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf")]
    public void Three_requests_on_one_connection_decode_with_the_dynamic_table_carried_between_them(string first, string second, string third)
    {
        var decoder = new HpackDecoder(4096, 65536);

        var one = decoder.Decode(Hex(first));
        var two = decoder.Decode(Hex(second));
        var three = decoder.Decode(Hex(third));

        Assert.Equal([":method: GET", ":scheme: http", ":path: /", ":authority: www.example.com"], Lines(one));
        Assert.Equal([":method: GET", ":scheme: http", ":path: /", ":authority: www.example.com", "cache-control: no-cache"], Lines(two));
        Assert.Equal([":method: GET", ":scheme: https", ":path: /index.html", ":authority: www.example.com", "custom-key: custom-value"], Lines(three));
        Assert.Equal(["custom-key: custom-value", "cache-control: no-cache", ":authority: www.example.com"], Lines(decoder.DynamicEntries));
    }

    [Fact]
    public void A_size_update_to_zero_empties_the_table_and_a_later_reference_to_it_is_refused()
    {
        var decoder = new HpackDecoder(4096, 65536);
        decoder.Decode(Hex("8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff"));

        var fields = decoder.Decode(Hex("20 82"));
        var thrown = Assert.Throws<HpackException>(() => decoder.Decode(Hex("be")));

        Assert.Equal([":method: GET"], Lines(fields));
        Assert.Empty(decoder.DynamicEntries);
        Assert.Equal(0, decoder.TableLimit);
        Assert.Contains("index 62", thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_smaller_table_evicts_the_oldest_entries_first()
    {
        var decoder = new HpackDecoder(4096, 65536);
        decoder.Decode(new LiteralBlock().Add(0x40, "aaaa", "1111").Add(0x40, "bbbb", "2222").ToArray());

        // Each entry is 4 + 4 + 32 = 40 bytes: a 40-byte table keeps only the newest.
        decoder.Decode([0x3F, 0x09]);

        Assert.Equal(["bbbb: 2222"], Lines(decoder.DynamicEntries));
        Assert.Equal(["bbbb: 2222"], Lines(decoder.Decode([0xBE])));
    }

    [Fact]
    public void Never_indexed_and_unindexed_literals_leave_the_table_alone_and_keep_their_sensitivity()
    {
        var decoder = new HpackDecoder(4096, 65536);

        var fields = decoder.Decode(new LiteralBlock().Add(0x10, "authorization", "secret").Add(0x00, "x-plain", "v").ToArray());

        Assert.Equal(["authorization: secret", "x-plain: v"], Lines(fields));
        Assert.True(fields[0].NeverIndexed);
        Assert.False(fields[1].NeverIndexed);
        Assert.Empty(decoder.DynamicEntries);
    }

    [Theory]
    [InlineData("80", "index 0")]                             // indexed field 0
    [InlineData("c0", "beyond")]                              // index 64, with an empty dynamic table
    [InlineData("3fe21f", "exceeds the advertised 4096")]     // size update to 4097
    [InlineData("82 20", "follows a header field")]           // size update after a field
    [InlineData("4185 ffff ffff ff", "end-of-string")]        // a Huffman string that holds EOS
    [InlineData("4181 00", "padding")]                        // '0' (5 bits) padded with zeros
    [InlineData("4182 f1ff", "padding")]                      // 'w' then more than 7 bits of padding
    [InlineData("410f 7777", "runs past the end")]            // a string longer than the block
    [InlineData("ff ff ff ff ff 0f", "out of range")]         // an integer beyond 2^28
    [InlineData("7f", "ends inside an integer")]
    public void A_malformed_block_is_a_compression_error(string hex, string expected)
    {
        var thrown = Assert.Throws<HpackException>(() => new HpackDecoder(4096, 65536).Decode(Hex(hex)));

        Assert.Contains(expected, thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Repeated_references_to_one_large_entry_cannot_decode_past_the_list_limit()
    {
        var decoder = new HpackDecoder(4096, 65536);
        var block = new LiteralBlock().Add(0x40, "x-big", new string('v', 3000)).ToArray();

        // One byte each names the 3037-byte entry again: 30 of them would be 91 KiB of fields.
        var thrown = Assert.Throws<HpackException>(() => decoder.Decode([.. block, .. Enumerable.Repeat((byte)0xBE, 30)]));

        Assert.Contains("more than 65536 bytes", thrown.Message, StringComparison.Ordinal);
    }

    /// <summary>Literal fields with new names, strings not Huffman-coded.</summary>
    private sealed class LiteralBlock
    {
        private readonly List<byte> _bytes = [];

        public LiteralBlock Add(byte pattern, string name, string value)
        {
            _bytes.Add(pattern);
            String(name);
            String(value);
            return this;
        }

        public byte[] ToArray() => [.. _bytes];

        private void String(string text)
        {
            if (text.Length < 127)
            {
                _bytes.Add((byte)text.Length);
            }
            else
            {
                var rest = text.Length - 127;
                _bytes.Add(127);
                while (rest >= 128)
                {
                    _bytes.Add((byte)((rest & 0x7F) | 0x80));
                    rest >>= 7;
                }

                _bytes.Add((byte)rest);
            }

            _bytes.AddRange(System.Text.Encoding.Latin1.GetBytes(text));
        }
    }
}

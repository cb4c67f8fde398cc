using System.Text;

namespace OrasAssemble.CsiNode.Transport;

/// <summary>
/// Decodes the header blocks of one HTTP/2 connection, in order, keeping the dynamic table the peer's encoder keeps
/// (RFC 7541): indexed fields, literals with and without indexing, never-indexed literals, Huffman-coded strings and
/// dynamic table size updates. Bounded: a table no larger than the size this side advertised, and a decoded list no
/// larger than <c>maxListBytes</c> (counted as the table counts, so a block of small index references cannot expand
/// without limit).
/// </summary>
internal sealed class HpackDecoder(int maxTableSize, int maxListBytes)
{
    private readonly LinkedList<HpackField> _dynamic = new();
    private int _tableSize;
    private int? _lowered;

    /// <summary>The dynamic table's current size limit: the advertised size until the peer lowers it.</summary>
    public int TableLimit => _lowered ?? maxTableSize;

    /// <summary>The dynamic table, newest entry first (index 62 onwards).</summary>
    public IEnumerable<HpackField> DynamicEntries => _dynamic;

    /// <exception cref="HpackException">The block is malformed, refers to an index that does not exist, or is too large.</exception>
    public List<HpackField> Decode(ReadOnlySpan<byte> block)
    {
        var fields = new List<HpackField>();
        var listBytes = 0;
        var position = 0;
        while (position < block.Length)
        {
            var first = block[position];
            HpackField field;
            if ((first & 0x80) != 0)
            {
                field = Lookup(ReadInteger(block, ref position, 7));
            }
            else if ((first & 0xC0) == 0x40)
            {
                field = ReadLiteral(block, ref position, 6, neverIndexed: false);
                Add(field);
            }
            else if ((first & 0xE0) == 0x20)
            {
                // Allowed only before the first field of a block (RFC 7541, section 4.2).
                if (fields.Count > 0)
                {
                    throw new HpackException("a dynamic table size update follows a header field");
                }

                var size = ReadInteger(block, ref position, 5);
                if (size > maxTableSize)
                {
                    throw new HpackException($"a dynamic table size update to {size} exceeds the advertised {maxTableSize}");
                }

                _lowered = size;
                Evict(0);
                continue;
            }
            else
            {
                // 0001xxxx never indexed, 0000xxxx without indexing: neither touches the table.
                field = ReadLiteral(block, ref position, 4, neverIndexed: (first & 0x10) != 0);
            }

            listBytes += field.Size;
            if (listBytes > maxListBytes)
            {
                throw new HpackException($"a header list decodes to more than {maxListBytes} bytes");
            }

            fields.Add(field);
        }

        return fields;
    }

    private HpackField Lookup(int index)
    {
        if (index == 0)
        {
            throw new HpackException("a header field refers to index 0");
        }

        if (index <= HpackStaticTable.Entries.Count)
        {
            var (name, value) = HpackStaticTable.Entries[index - 1];
            return new HpackField(name, value);
        }

        var dynamicIndex = index - HpackStaticTable.Entries.Count - 1;
        if (dynamicIndex >= _dynamic.Count)
        {
            throw new HpackException($"a header field refers to index {index}, beyond the {_dynamic.Count} dynamic table entries");
        }

        return _dynamic.ElementAt(dynamicIndex);
    }

    private HpackField ReadLiteral(ReadOnlySpan<byte> block, ref int position, int prefixBits, bool neverIndexed)
    {
        var nameIndex = ReadInteger(block, ref position, prefixBits);
        var name = nameIndex == 0 ? ReadString(block, ref position) : Lookup(nameIndex).Name;
        var value = ReadString(block, ref position);
        return new HpackField(name, value, neverIndexed);
    }

    private void Add(HpackField field)
    {
        // An entry larger than the whole table empties it and is not added (RFC 7541, section 4.4).
        Evict(field.Size);
        if (field.Size <= TableLimit)
        {
            _dynamic.AddFirst(field with { NeverIndexed = false });
            _tableSize += field.Size;
        }
    }

    private void Evict(int room)
    {
        while (_dynamic.Count > 0 && _tableSize + room > TableLimit)
        {
            _tableSize -= _dynamic.Last!.Value.Size;
            _dynamic.RemoveLast();
        }
    }

    private static string ReadString(ReadOnlySpan<byte> block, ref int position)
    {
        if (position >= block.Length)
        {
            throw new HpackException("a header block ends before a string");
        }

        var huffman = (block[position] & 0x80) != 0;
        var length = ReadInteger(block, ref position, 7);
        if (length > block.Length - position)
        {
            throw new HpackException($"a string of {length} bytes runs past the end of its header block");
        }

        var octets = block.Slice(position, length);
        position += length;
        if (!huffman)
        {
            return Encoding.Latin1.GetString(octets);
        }

        var decoded = new List<byte>(length * 8 / 5);
        HpackHuffman.Decode(octets, decoded);
        return Encoding.Latin1.GetString(decoded.ToArray());
    }

    /// <summary>An integer with an N-bit prefix (RFC 7541, section 5.1), refused beyond what a header block can need.</summary>
    private static int ReadInteger(ReadOnlySpan<byte> block, ref int position, int prefixBits)
    {
        var mask = (1 << prefixBits) - 1;
        var value = block[position++] & mask;
        if (value < mask)
        {
            return value;
        }

        for (var shift = 0; ; shift += 7)
        {
            if (position >= block.Length)
            {
                throw new HpackException("a header block ends inside an integer");
            }

            if (shift > 21)
            {
                throw new HpackException("an integer in a header block is out of range");
            }

            var b = block[position++];
            value += (b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }
    }
}

namespace OrasAssemble.CsiNode.Transport;

/// <summary>
/// One decoded header field. Name and value hold the octets as sent, one char per octet (Latin-1), since HPACK
/// carries octets, not text. <see cref="NeverIndexed"/> marks a field the sender asked never to be indexed.
/// </summary>
internal sealed record HpackField(string Name, string Value, bool NeverIndexed = false)
{
    /// <summary>What the field counts against a dynamic table (RFC 7541, section 4.1).</summary>
    public int Size => Name.Length + Value.Length + 32;
}

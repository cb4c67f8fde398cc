namespace OrasAssemble.CsiNode.Transport;

/// <summary>A header block that does not decode: HTTP/2 makes this a connection error (COMPRESSION_ERROR).</summary>
internal sealed class HpackException(string message) : Exception(message);

using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace OrasAssemble.CsiNode.Transport;

/// <summary>
/// The HTTP/2 sizes the socket's server advertises and the header rewriting enforces: one constant each, so the
/// rewriter's decoder allows exactly the table the client was told it may use, and its frames fit what Kestrel accepts.
/// </summary>
internal static class Http2Bounds
{
    /// <summary>SETTINGS_MAX_FRAME_SIZE: HTTP/2's initial value, the largest frame a client may send.</summary>
    public const int MaxFrameSize = 16 * 1024;

    /// <summary>SETTINGS_HEADER_TABLE_SIZE: HTTP/2's initial value, the dynamic table a client's encoder may use.</summary>
    public const int HeaderTableSize = 4096;

    /// <summary>One request's header block as sent (HEADERS and its CONTINUATION frames). CSI requests carry a handful.</summary>
    public const int MaxHeaderBlockBytes = 64 * 1024;

    /// <summary>One request's header list as decoded, counted as HPACK counts it (name + value + 32 per field).</summary>
    public const int MaxHeaderListBytes = 64 * 1024;

    public static void Apply(Http2Limits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        limits.MaxFrameSize = MaxFrameSize;
        limits.HeaderTableSize = HeaderTableSize;
    }
}

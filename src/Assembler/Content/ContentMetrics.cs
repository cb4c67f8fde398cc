using System.Diagnostics.Metrics;

namespace OrasAssemble.Content;

/// <summary>
/// The library's content instruments, on the <c>OrasAssemble.Content</c> meter: what hashing costs is visible to a
/// host that listens (and to a benchmark that wants to know each byte is hashed once).
/// </summary>
internal static class ContentMetrics
{
    public const string MeterName = "OrasAssemble.Content";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Bytes hashed by a <see cref="VerifyingStream"/> to check content against its descriptor.</summary>
    public static readonly Counter<long> VerifiedBytes = Meter.CreateCounter<long>(
        "orasassemble.content.verified_bytes", "By", "Bytes hashed to check content against its digest");
}

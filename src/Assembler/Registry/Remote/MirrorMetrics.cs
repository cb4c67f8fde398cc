using System.Diagnostics.Metrics;

namespace OrasAssemble.Registry.Remote;

/// <summary>
/// The registry client's mirror instruments, on the <c>OrasAssemble.Registry</c> meter: per mirror host, what it
/// served and how often it was passed over, by a fixed set of reasons. Mirror hosts come from the settings file, so
/// the series count stays bounded.
/// </summary>
internal static class MirrorMetrics
{
    public const string MeterName = "OrasAssemble.Registry";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Requests a mirror answered with the content (before its bytes were checked).</summary>
    public static readonly Counter<long> Served = Meter.CreateCounter<long>(
        "orasassemble.registry.mirror_responses", "{response}", "Blob and manifest requests a mirror answered with content");

    /// <summary>Requests a mirror failed, so the next mirror or the registry was asked; tagged mirror and reason.</summary>
    public static readonly Counter<long> Failures = Meter.CreateCounter<long>(
        "orasassemble.registry.mirror_failures", "{failure}", "Requests passed over from a mirror to the next mirror or the registry, by reason");

    public static void CountServed(string mirror) => Served.Add(1, new KeyValuePair<string, object?>("mirror", mirror));

    public static void CountFailure(MirrorFailure failure) => Failures.Add(
        1,
        new KeyValuePair<string, object?>("mirror", failure.Mirror),
        new KeyValuePair<string, object?>("reason", ReasonLabel(failure.Reason)));

    public static string ReasonLabel(MirrorFailureReason reason) => reason switch
    {
        MirrorFailureReason.NotFound => "not_found",
        MirrorFailureReason.Status => "status",
        MirrorFailureReason.Unreachable => "unreachable",
        MirrorFailureReason.Timeout => "timeout",
        _ => "mismatch",
    };
}

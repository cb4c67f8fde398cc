using OrasAssemble.Layers;

namespace OrasAssemble.Settings;

/// <summary>
/// The <c>limits:</c> section of the settings file: bounds on what one assembly (a CLI <c>assemble</c>, a node
/// plugin volume) may download and unpack.
/// </summary>
public sealed record LimitSettings
{
    public static LimitSettings Default { get; } = new();

    /// <summary>Blobs downloaded at once for one assembly (on a node: unless the volume asks for fewer).</summary>
    public int Concurrency { get; init; } = 4;

    /// <summary>Node plugin: the most a volume may ask for with <c>oras.options.concurrency</c>.</summary>
    public int MaxConcurrency { get; init; } = 16;

    /// <summary><c>maxFileBytes</c>, <c>maxTotalBytes</c> and <c>maxEntries</c>; the rest as <see cref="ExtractionLimits.Default"/>.</summary>
    public ExtractionLimits Extraction { get; init; } = ExtractionLimits.Default;

    /// <summary>Node plugin: how long a publish waits for its tree when the caller set no deadline; then it answers ABORTED.</summary>
    public TimeSpan PublishWait { get; init; } = TimeSpan.FromSeconds(100);
}

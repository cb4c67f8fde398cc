using OrasAssemble.Execution;

namespace OrasAssemble.CsiNode.Configuration;

/// <summary>The <c>limits:</c> section: bounds on what one volume may download and unpack.</summary>
internal sealed record LimitSettings
{
    /// <summary>Blobs downloaded at once for one volume, unless the volume asks for fewer.</summary>
    public int Concurrency { get; init; } = 4;

    /// <summary>The most a volume may ask for with <c>oras.options.concurrency</c>.</summary>
    public int MaxConcurrency { get; init; } = 16;

    public ExtractionLimits Extraction { get; init; } = ExtractionLimits.Default;

    /// <summary>How long a publish waits for its tree when the caller set no deadline; then it answers ABORTED.</summary>
    public TimeSpan PublishWait { get; init; } = TimeSpan.FromSeconds(100);
}

using OrasAssemble.Layers;
using OrasAssemble.Oci;

namespace OrasAssemble.Execution;

public sealed record ExecutorOptions
{
    /// <summary>Caps on what sources may unpack, for the whole tree (a spec's options may allow setuid).</summary>
    public ExtractionLimits Limits { get; init; } = ExtractionLimits.Default;

    /// <summary>How many blobs are fetched at once.</summary>
    public int Concurrency { get; init; } = 4;

    /// <summary>
    /// How long extraction waits for the next bytes of a layer that is still downloading; a backstop, since the
    /// registry client's own idle timeout ends a stalled transfer first.
    /// </summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Whether <see cref="TreeAssembler"/> may serve a spec from its pin; the executor itself always resolves.</summary>
    public PullPolicy PullPolicy { get; init; } = PullPolicy.IfNotPresent;

    /// <summary>The platform for sources and bases that name none; the machine's own when null.</summary>
    public Platform? DefaultPlatform { get; init; }

    public long MaxManifestBytes { get; init; } = OciLimits.MaxManifestBytes;

    /// <summary>
    /// Where a relative <c>oci-layout://</c> source is found. Null refuses such sources: a node plugin reads registries only.
    /// </summary>
    public string? LayoutBaseDirectory { get; init; }

    /// <summary>Told just before a blob is downloaded, which is only when no cache has it; for metrics.</summary>
    public Action<Descriptor>? Downloading { get; init; }

    /// <summary>
    /// Whether trees get their sources' owners; only a privileged process (root, as the node plugin runs) can give
    /// files to other users, and without that every entry belongs to the process and the build says so.
    /// </summary>
    internal bool MayChown { get; init; } = Environment.IsPrivilegedProcess;

    /// <summary>Told about each stage (a source resolved, a blob fetched); for progress output.</summary>
    public Action<string>? Progress { get; init; }
}

using OrasAssemble.Spec;

namespace OrasAssemble.Execution;

/// <summary>What to assemble, and where its sources are read from.</summary>
public sealed record AssemblyRequest
{
    public required ValidSpec Spec { get; init; }

    /// <summary>Where the spec's registry sources are read from, with the caller's credentials.</summary>
    public required ITargetLocator Locator { get; init; }

    /// <summary>How the tree is built, and the pull policy.</summary>
    public ExecutorOptions Options { get; init; } = new();
}

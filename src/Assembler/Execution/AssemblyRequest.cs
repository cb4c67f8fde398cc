using OrasAssemble.Registry;
using OrasAssemble.Spec;

namespace OrasAssemble.Execution;

/// <summary>
/// What to assemble, and where its sources are read from: a <see cref="Spec"/>, or a <see cref="Reference"/> whose
/// manifest is read first (a spec artifact is assembled by its spec; any other artifact or image is extracted whole).
/// Exactly one of the two is given.
/// </summary>
public sealed record AssemblyRequest
{
    /// <summary>The spec to assemble; null when <see cref="Reference"/> names what to assemble.</summary>
    public ValidSpec? Spec { get; init; }

    /// <summary>A spec artifact, or any other artifact or image to extract whole; null when <see cref="Spec"/> is given.</summary>
    public Reference? Reference { get; init; }

    /// <summary>For a <see cref="Reference"/> that is not a spec artifact: only layers of these media types are extracted; empty means all.</summary>
    public IReadOnlyList<string> MediaTypes { get; init; } = [];

    /// <summary>Where the reference and the spec's registry sources are read from, with the caller's credentials.</summary>
    public required ITargetLocator Locator { get; init; }

    /// <summary>How the tree is built, and the pull policy.</summary>
    public ExecutorOptions Options { get; init; } = new();

    /// <summary>
    /// Called with the spec before any of its sources is read (for a <see cref="Reference"/>, once its spec is known):
    /// the caller's policy on what may be assembled throws its refusal; null admits every spec.
    /// </summary>
    public Action<ValidSpec>? Admit { get; init; }

    /// <summary>Reads of the reference's manifest the caller remembers, which may stand in for asking the registry; null remembers none.</summary>
    public IRememberedReads? RememberedReads { get; init; }
}

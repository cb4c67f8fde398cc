using OrasAssemble.Spec.Model;

namespace OrasAssemble.Spec;

/// <summary>A <see cref="ModeStep"/> ready to run: the normalised path or (when it is null) the globs that select, and the bits to set.</summary>
/// <param name="Mode">With setuid and setgid cleared unless the spec allows them.</param>
internal sealed record ValidModeStep(string? Path, IReadOnlyList<Glob> Include, IReadOnlyList<Glob> Exclude, UnixFileMode Mode) : ValidStep(ModeStep.KindName);

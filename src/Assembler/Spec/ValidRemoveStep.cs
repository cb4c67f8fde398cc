using OrasAssemble.Spec.Model;

namespace OrasAssemble.Spec;

/// <summary>A <see cref="RemoveStep"/> ready to run: the normalised path, or (when it is null) the globs that select.</summary>
internal sealed record ValidRemoveStep(string? Path, IReadOnlyList<Glob> Include, IReadOnlyList<Glob> Exclude) : ValidStep(RemoveStep.KindName);

using OrasAssemble.Spec.Model;

namespace OrasAssemble.Spec;

/// <summary>A <see cref="RenameStep"/> ready to run: both paths normalised, <paramref name="To"/> the entry's new path itself.</summary>
internal sealed record ValidRenameStep(string From, string To, bool Overwrite) : ValidStep(RenameStep.KindName);

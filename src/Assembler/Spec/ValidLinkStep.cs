using OrasAssemble.Spec.Model;

namespace OrasAssemble.Spec;

/// <summary>A <see cref="LinkStep"/> ready to run: the normalised path, and the target as it is stored (an absolute one made relative).</summary>
internal sealed record ValidLinkStep(string Path, string Target, bool Overwrite) : ValidStep(LinkStep.KindName);

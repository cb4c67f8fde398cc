namespace OrasAssemble.Spec;

/// <summary>A step of a <see cref="ValidSpec"/>, its values ready to act on. <see cref="Kind"/> is the key it is written under.</summary>
internal abstract record ValidStep(string Kind);

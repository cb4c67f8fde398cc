namespace OrasAssemble.Cli.Packing;

/// <summary>What to pack: the inputs in order, the artifact type and the manifest annotations given by the user.</summary>
internal sealed record PackRequest(
    IReadOnlyList<PackInput> Inputs,
    string ArtifactType,
    IReadOnlyDictionary<string, string> Annotations);

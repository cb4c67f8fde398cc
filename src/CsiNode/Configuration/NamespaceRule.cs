namespace OrasAssemble.CsiNode.Configuration;

/// <summary>
/// Where pods of one namespace may read from: any repository of the listed registries, and the listed repositories
/// (<c>host/path</c> exactly, or <c>host/path/*</c> for everything below it).
/// </summary>
internal sealed record NamespaceRule(IReadOnlyList<string> Registries, IReadOnlyList<string> Repositories);

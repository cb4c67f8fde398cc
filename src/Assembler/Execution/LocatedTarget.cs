using OrasAssemble.Content;

namespace OrasAssemble.Execution;

/// <summary>A store and the tag or digest to resolve in it.</summary>
public sealed record LocatedTarget(IReadOnlyTarget Target, string Reference);

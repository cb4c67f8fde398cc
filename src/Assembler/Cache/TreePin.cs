namespace OrasAssemble.Cache;

/// <summary>A cached tree something last resolved to, and for a reference the manifest digest it named then.</summary>
public sealed record TreePin(string TreeKey, string? Digest);

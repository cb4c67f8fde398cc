namespace OrasAssemble.Content;

/// <summary>One blob held by a <see cref="BlobStore"/>, as eviction needs to see it.</summary>
public sealed record BlobInfo(string Digest, long Size, DateTimeOffset LastWriteTime, string Path);

namespace OrasAssemble.Content;

/// <summary>Content is larger than a configured bound allows.</summary>
public sealed class SizeLimitExceededException(string message) : Exception(message);

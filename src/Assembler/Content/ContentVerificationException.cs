namespace OrasAssemble.Content;

/// <summary>Content did not match its descriptor: wrong size or wrong digest. Nothing of it was kept.</summary>
public sealed class ContentVerificationException(string message) : Exception(message);

namespace OrasAssemble.Content;

/// <summary>The content, tag or repository asked for does not exist in the store.</summary>
public class NotFoundException(string message, Exception? inner = null) : Exception(message, inner);

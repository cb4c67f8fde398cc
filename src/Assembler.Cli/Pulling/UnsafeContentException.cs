namespace OrasAssemble.Cli.Pulling;

/// <summary>An artifact asks for something that would write outside the output folder, or could not be trusted.</summary>
internal sealed class UnsafeContentException(string message, Exception? inner = null) : Exception(message, inner);

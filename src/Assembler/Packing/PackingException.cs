using OrasAssemble.Failures;

namespace OrasAssemble.Packing;

/// <summary>A file or folder cannot be packed as it is; the message names it and says why.</summary>
public sealed class PackingException(string message) : Exception(message), IClassifiedFailure
{
    public FailureKind Kind => FailureKind.InvalidInput;
}

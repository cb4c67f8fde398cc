using OrasAssemble.Failures;

namespace OrasAssemble.Cli;

/// <summary>What the user asked for cannot be done as asked: a missing file, a malformed flag value. Exit code 2.</summary>
internal sealed class UsageException(string message, Exception? inner = null) : Exception(message, inner), IClassifiedFailure
{
    public FailureKind Kind => FailureKind.InvalidInput;
}

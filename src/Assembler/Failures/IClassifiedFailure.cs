namespace OrasAssemble.Failures;

/// <summary>An exception whose kind is chosen where it is thrown (a host's own failures); <see cref="Failure.KindOf"/> takes it as given.</summary>
public interface IClassifiedFailure
{
    FailureKind Kind { get; }
}

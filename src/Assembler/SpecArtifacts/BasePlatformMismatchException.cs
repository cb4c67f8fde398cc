namespace OrasAssemble.SpecArtifacts;

/// <summary>
/// A rebase was refused: the new base image does not provide a platform the spec runs on (its <c>base.platform</c>,
/// else what the old base offered).
/// </summary>
internal sealed class BasePlatformMismatchException(string message) : Exception(message);

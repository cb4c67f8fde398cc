namespace OrasAssemble.Registry.Remote;

/// <summary>
/// A response body sent (next to) nothing for the idle timeout. An <see cref="IOException"/>, so every reader treats
/// it as the dropped connection it is made into: a blob read resumes, a manifest is asked for again.
/// </summary>
internal sealed class IdleTimeoutException(string request, string reason, Exception inner) : IOException($"{request}: {reason}", inner)
{
    /// <summary>Why, without the request: <c>the registry sent nothing in 60s (transfer.idleTimeout)</c>.</summary>
    public string Reason { get; } = reason;
}

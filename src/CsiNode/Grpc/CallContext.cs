namespace OrasAssemble.CsiNode.Grpc;

/// <summary>What a handler knows about the call it serves besides the request message.</summary>
internal sealed class CallContext
{
    /// <summary>The full method name, <c>/package.Service/Method</c>.</summary>
    public required string Method { get; init; }

    /// <summary>When the caller stops waiting (from <c>grpc-timeout</c>), in UTC; null when it set no deadline.</summary>
    public DateTimeOffset? Deadline { get; init; }

    /// <summary>Cancelled at the deadline or when the caller resets the stream.</summary>
    public CancellationToken CancellationToken { get; init; }

    /// <summary>Time left before <see cref="Deadline"/>; null when there is none.</summary>
    public TimeSpan? Remaining(TimeProvider time) => Deadline is { } deadline ? deadline - time.GetUtcNow() : null;
}

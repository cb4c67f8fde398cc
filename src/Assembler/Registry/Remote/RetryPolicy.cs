using System.Net;

namespace OrasAssemble.Registry.Remote;

/// <summary>
/// How often and how patiently to repeat a request that failed for a reason that may pass: a dropped
/// connection, 429, 5xx. Backoff is exponential with full jitter; a <c>Retry-After</c> is honoured up to a cap.
/// </summary>
public sealed record RetryPolicy
{
    public int MaxAttempts { get; init; } = 5;

    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The longest <c>Retry-After</c> waited for; a registry asking for more gets an error instead.</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(60);

    public static RetryPolicy Default { get; } = new();

    public static RetryPolicy None { get; } = new() { MaxAttempts = 1 };

    public static bool IsTransient(HttpStatusCode status) => status is HttpStatusCode.RequestTimeout
        or HttpStatusCode.TooManyRequests
        or HttpStatusCode.InternalServerError
        or HttpStatusCode.BadGateway
        or HttpStatusCode.ServiceUnavailable
        or HttpStatusCode.GatewayTimeout;

    /// <summary>The pause before attempt <paramref name="attempt"/> + 1, given what the server asked for.</summary>
    internal TimeSpan DelayBefore(int attempt, TimeSpan? retryAfter)
    {
        if (retryAfter is { } asked)
        {
            return asked < TimeSpan.Zero ? TimeSpan.Zero : asked;
        }

        var ceiling = Math.Min(MaxDelay.TotalMilliseconds, BaseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1));
        return TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * ceiling);
    }
}

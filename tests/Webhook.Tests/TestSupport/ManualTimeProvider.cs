namespace OrasAssemble.Webhook.Tests.TestSupport;

/// <summary>A clock that moves only when told to, for cache expiry; timers still run on real time.</summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private DateTimeOffset now = DateTimeOffset.UtcNow;

    public override DateTimeOffset GetUtcNow() => now;

    public void Advance(TimeSpan by) => now += by;
}

using OrasAssemble.CsiNode.Credentials;

namespace OrasAssemble.CsiNode.Tests.Credentials;

public sealed class ExpiringCacheTests
{
    private sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 12, 7, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public async Task An_answer_is_reused_until_its_lifetime_ends_and_then_read_again()
    {
        var clock = new ManualClock();
        var cache = new ExpiringCache<string, int>(TimeSpan.FromSeconds(30), 10, clock);
        var reads = 0;
        Task<int> Read() => Task.FromResult(++reads);

        var first = await cache.GetOrAddAsync("sa", Read, CancellationToken.None);
        clock.Now += TimeSpan.FromSeconds(29);
        var within = await cache.GetOrAddAsync("sa", Read, CancellationToken.None);
        clock.Now += TimeSpan.FromSeconds(1);
        var after = await cache.GetOrAddAsync("sa", Read, CancellationToken.None);

        Assert.Equal((1, 1, 2), (first, within, after));
    }

    [Fact]
    public async Task Callers_asking_at_once_share_one_read_and_a_failed_read_is_not_kept()
    {
        var cache = new ExpiringCache<string, int>(TimeSpan.FromSeconds(30), 10, new ManualClock());
        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var reads = 0;

        var waiting = Enumerable.Range(0, 8).Select(_ => cache.GetOrAddAsync("secret", () => { reads++; return gate.Task; }, CancellationToken.None)).ToList();
        gate.SetException(new InvalidOperationException("API server down"));
        foreach (var caller in waiting)
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => caller);
        }

        await WaitUntilAsync(() => cache.Count == 0);
        var retried = await cache.GetOrAddAsync("secret", () => { reads++; return Task.FromResult(7); }, CancellationToken.None);

        Assert.Equal(7, retried);
        Assert.Equal(2, reads);
    }

    [Fact]
    public async Task It_holds_at_most_its_capacity_dropping_the_oldest_first()
    {
        var clock = new ManualClock();
        var cache = new ExpiringCache<int, int>(TimeSpan.FromMinutes(1), 3, clock);
        for (var key = 0; key < 5; key++)
        {
            await cache.GetOrAddAsync(key, () => Task.FromResult(key), CancellationToken.None);
            clock.Now += TimeSpan.FromSeconds(1);
        }

        var reread = false;
        await cache.GetOrAddAsync(0, () => { reread = true; return Task.FromResult(0); }, CancellationToken.None);

        Assert.True(cache.Count <= 3);
        Assert.True(reread);
    }

    [Fact]
    public async Task A_caller_that_gives_up_does_not_cancel_the_read_others_wait_for()
    {
        var cache = new ExpiringCache<string, int>(TimeSpan.FromSeconds(30), 10, new ManualClock());
        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var impatient = new CancellationTokenSource();

        var first = cache.GetOrAddAsync("pod", () => gate.Task, impatient.Token);
        var second = cache.GetOrAddAsync("pod", () => Task.FromResult(-1), CancellationToken.None);
        await impatient.CancelAsync();
        gate.SetResult(3);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        Assert.Equal(3, await second);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }
}

using OrasAssemble.Threading;

namespace OrasAssemble.Tests.Threading;

/// <summary>The one single-flight the library and the hosts share: per key, outliving the callers that give up.</summary>
public sealed class SingleFlightTests
{
    [Fact]
    public async Task Callers_of_one_key_share_one_run_that_goes_on_when_a_caller_gives_up()
    {
        var flight = new SingleFlight<int>();
        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var runs = 0;
        Task<int> Work()
        {
            Interlocked.Increment(ref runs);
            return gate.Task;
        }

        using var giveUp = new CancellationTokenSource();
        var impatient = flight.RunAsync("k", Work, giveUp.Token);
        var patient = flight.RunAsync("k", Work, CancellationToken.None);
        var other = flight.RunAsync("other", () => Task.FromResult(7), CancellationToken.None);
        await giveUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => impatient);
        gate.SetResult(42);

        Assert.Equal(42, await patient);
        Assert.Equal(7, await other);
        Assert.Equal(1, runs);
    }

    [Fact]
    public async Task A_failure_is_not_handed_to_a_later_caller()
    {
        var flight = new SingleFlight<int>();
        var runs = 0;

        await Assert.ThrowsAsync<InvalidOperationException>(() => flight.RunAsync("k", () =>
        {
            runs++;
            return Task.FromException<int>(new InvalidOperationException("registry down"));
        }, CancellationToken.None));
        var retried = await flight.RunAsync("k", () => { runs++; return Task.FromResult(1); }, CancellationToken.None);

        Assert.Equal(1, retried);
        Assert.Equal(2, runs);
    }

    [Fact]
    public async Task A_success_is_kept_for_the_time_given_so_a_caller_asking_again_collects_it()
    {
        var kept = new SingleFlight<int>(TimeSpan.FromMinutes(5), TimeProvider.System);
        var brief = new SingleFlight<int>(TimeSpan.FromMilliseconds(50), TimeProvider.System);

        var first = await kept.RunAsync("k", () => Task.FromResult(1), CancellationToken.None);
        var again = await kept.RunAsync("k", () => Task.FromResult(2), CancellationToken.None);
        await brief.RunAsync("k", () => Task.FromResult(1), CancellationToken.None);
        var later = 1;
        for (var i = 0; i < 200 && later == 1; i++)
        {
            await Task.Delay(50);
            later = await brief.RunAsync("k", () => Task.FromResult(2), CancellationToken.None);
        }

        Assert.Equal((1, 1), (first, again));
        Assert.Equal(2, later);
    }
}

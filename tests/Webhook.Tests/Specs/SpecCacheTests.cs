using OrasAssemble.Webhook.Specs;
using OrasAssemble.Webhook.Tests.TestSupport;

namespace OrasAssemble.Webhook.Tests.Specs;

/// <summary>The spec cache: its bound, expiry, shared loads and forgotten failures.</summary>
public sealed class SpecCacheTests
{
    [Fact]
    public async Task The_spec_cache_keeps_at_most_its_bound_dropping_the_entries_that_expire_first()
    {
        var time = new ManualTimeProvider();
        var cache = new SpecCache(time, TimeSpan.FromMinutes(10), maxEntries: 2);
        var loads = 0;
        Task<SpecSummary> Load(string path)
        {
            loads++;
            return Task.FromResult(new SpecSummary(null, path));
        }

        await cache.GetOrLoadAsync("a", () => Load("/a"), default);
        time.Advance(TimeSpan.FromMinutes(1));
        await cache.GetOrLoadAsync("b", () => Load("/b"), default);
        await cache.GetOrLoadAsync("c", () => Load("/c"), default);
        var b = await cache.GetOrLoadAsync("b", () => Load("/b again"), default);
        var a = await cache.GetOrLoadAsync("a", () => Load("/a again"), default);

        Assert.Equal(2, cache.Count);
        Assert.Equal((new SpecSummary(null, "/b"), true), b);
        Assert.Equal((new SpecSummary(null, "/a again"), false), a);
        Assert.Equal(4, loads);
    }

    [Fact]
    public async Task The_spec_cache_shares_a_load_in_flight_and_forgets_a_failed_one()
    {
        var cache = new SpecCache(TimeProvider.System, TimeSpan.FromMinutes(10), maxEntries: 10);
        var gate = new TaskCompletionSource<SpecSummary>(TaskCreationOptions.RunContinuationsAsynchronously);
        var loads = 0;

        var first = cache.GetOrLoadAsync("k", () => { loads++; return gate.Task; }, default);
        var second = cache.GetOrLoadAsync("k", () => { loads++; return gate.Task; }, default);
        gate.SetException(new InvalidOperationException("registry down"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => first);
        await Assert.ThrowsAsync<InvalidOperationException>(() => second);
        var retried = await cache.GetOrLoadAsync("k", () => { loads++; return Task.FromResult(new SpecSummary(null, "/app")); }, default);

        Assert.Equal(2, loads);
        Assert.Equal((new SpecSummary(null, "/app"), false), retried);
    }
}

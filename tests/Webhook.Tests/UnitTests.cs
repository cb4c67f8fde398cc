using System.Net;
using Microsoft.AspNetCore.JsonPatch;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using OrasAssemble.Settings;
using OrasAssemble.Webhook.Configuration;
using OrasAssemble.Webhook.Hosting;
using OrasAssemble.Webhook.Patching;
using OrasAssemble.Webhook.Specs;
using OrasAssemble.Webhook.Tests.TestSupport;

namespace OrasAssemble.Webhook.Tests;

/// <summary>The small parts on their own: pointers, flag values, the settings section and the spec cache.</summary>
public sealed class UnitTests
{
    [Theory]
    [InlineData(new[] { "metadata", "annotations", "assemble.oras.land/spec-digest" }, "/metadata/annotations/assemble.oras.land~1spec-digest")]
    [InlineData(new[] { "a~b", "c/d", "~1" }, "/a~0b/c~1d/~01")]
    [InlineData(new[] { "" }, "/")]
    public void Pointer_tokens_escape_tilde_before_slash(string[] tokens, string pointer)
    {
        Assert.Equal(pointer, JsonPointer.Create(tokens));
    }

    [Fact]
    public void Escaped_pointers_reach_the_same_member_in_an_independent_implementation()
    {
        var document = JObject.Parse("""{"metadata":{"annotations":{"a~1/b":"old"}}}""");
        var patch = JsonConvert.DeserializeObject<JsonPatchDocument>(
            System.Text.Encoding.UTF8.GetString(JsonPatch.Serialize(
            [
                PatchOperation.Replace(JsonPointer.Create("metadata", "annotations", "a~1/b"), System.Text.Json.Nodes.JsonValue.Create("new")),
                PatchOperation.Add(JsonPointer.Create("metadata", "annotations", "x/~y"), System.Text.Json.Nodes.JsonValue.Create("added")),
            ])))!;

        patch.ApplyTo(document);

        Assert.Equal("""{"metadata":{"annotations":{"a~1/b":"new","x/~y":"added"}}}""", document.ToString(Formatting.None));
    }

    [Theory]
    [InlineData("0.0.0.0:8443", "0.0.0.0", 8443)]
    [InlineData("127.0.0.1:0", "127.0.0.1", 0)]
    [InlineData("[::]:443", "::", 443)]
    [InlineData("localhost:9443", null, 9443)]
    public void Listen_addresses_parse(string text, string? address, int port)
    {
        Assert.True(ListenAddress.TryParse(text, out var parsed, out _));
        Assert.Equal(address is null ? null : IPAddress.Parse(address), parsed!.Address);
        Assert.Equal(port, parsed.Port);
        Assert.Equal(text, parsed.ToString());
    }

    [Theory]
    [InlineData("8443", "is not host:port")]
    [InlineData(":8443", "is not host:port")]
    [InlineData("0.0.0.0:", "is not host:port")]
    [InlineData("0.0.0.0:70000", "port \"70000\"")]
    [InlineData("webhook.example:8443", "host \"webhook.example\"")]
    [InlineData(":::8443", "host \"::\"")]
    public void Unusable_listen_addresses_say_why(string text, string problem)
    {
        Assert.False(ListenAddress.TryParse(text, out _, out var message));
        Assert.Contains(problem, message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("5s", 5_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("10m", 600_000)]
    [InlineData("1h30m", 5_400_000)]
    public void Durations_parse_as_kubernetes_writes_them(string text, int milliseconds)
    {
        Assert.True(SettingsDuration.TryParse(text, out var duration));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), duration);
    }

    [Theory]
    [InlineData("")]
    [InlineData("5")]
    [InlineData("5 s")]
    [InlineData("-5s")]
    [InlineData("5d")]
    public void Other_durations_are_refused(string text) => Assert.False(SettingsDuration.TryParse(text, out _));

    [Fact]
    public void The_webhook_section_lists_namespaces_and_other_sections_are_left_to_their_readers()
    {
        var settings = WebhookSettingsParser.Parse("""
            registries: {"ghcr.io": {mirrors: [m.local]}}
            cache: {budget: 20Gi}
            webhook:
              namespaces:
                - shop
                - batch
            """, "config.yaml");

        Assert.Equal(["batch", "shop"], settings.Namespaces!.Order(StringComparer.Ordinal));
        Assert.Null(WebhookSettingsParser.Parse("registries: {}\n", "config.yaml").Namespaces);
        Assert.Null(WebhookSettingsParser.Parse("webhook:\n", "config.yaml").Namespaces);
        Assert.Null(WebhookSettingsParser.Parse("", "config.yaml").Namespaces);
    }

    [Theory]
    [InlineData("webhook: [shop]", "config.yaml:1:10: \"webhook\" must be a mapping with any of namespaces")]
    [InlineData("webhook: {namespaces: []}", "config.yaml:1:23: webhook.namespaces must be a list of one or more namespace names; leave it out to serve every namespace")]
    [InlineData("webhook: {namespaces: shop}", "config.yaml:1:23: webhook.namespaces must be a list of one or more namespace names")]
    [InlineData("webhook: {namespace: [shop]}", "config.yaml:1:11: webhook: unknown key \"namespace\" (known keys: namespaces)")]
    [InlineData("webhook: {namespaces: [shop, -bad]}", "config.yaml:1:30: webhook.namespaces: \"-bad\" is not a namespace name")]
    public void A_wrong_webhook_section_is_reported_with_its_position(string yaml, string message)
    {
        var error = Assert.Throws<HostSettingsException>(() => WebhookSettingsParser.Parse(yaml, "config.yaml"));

        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
    }

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

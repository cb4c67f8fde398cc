using OrasAssemble.CsiNode.Configuration;
using OrasAssemble.Settings;

namespace OrasAssemble.CsiNode.Tests.Configuration;

public sealed class NodeConfigParserTests
{
    [Fact]
    public void Every_section_is_read()
    {
        var config = NodeConfigParser.Parse("""
            registries:
              "kind-registry:5000": { plainHttp: true }
            cache:
              budget: 20Gi
              minIdle: 15m
              gcInterval: 90s
            limits:
              concurrency: 8
              maxConcurrency: 32
              maxFileBytes: 512Mi
              maxTotalBytes: 2G
              maxEntries: 5000
              publishWait: 60s
            tenancy:
              enforce: false
              allowPlainHttp: true
              allowInsecure: true
            namespaces:
              team-a:
                registries: [registry.team-a.example]
                repositories: ["ghcr.io/team-a/*", "ghcr.io/shared/base"]
              "*":
                registries: [ghcr.io]
            """, "config.yaml");

        Assert.True(config.Registries.For("kind-registry:5000").PlainHttp);
        Assert.Equal(20L << 30, config.Cache.Budget);
        Assert.Equal(TimeSpan.FromMinutes(15), config.Cache.MinIdle);
        Assert.Equal(TimeSpan.FromSeconds(90), config.Cache.GcInterval);
        Assert.Equal(8, config.Limits.Concurrency);
        Assert.Equal(32, config.Limits.MaxConcurrency);
        Assert.Equal(512L << 20, config.Limits.Extraction.MaxFileBytes);
        Assert.Equal(2_000_000_000L, config.Limits.Extraction.MaxTotalBytes);
        Assert.Equal(5000, config.Limits.Extraction.MaxEntries);
        Assert.Equal(TimeSpan.FromSeconds(60), config.Limits.PublishWait);
        Assert.Equal(new TenancySettings { Enforce = false, AllowPlainHttp = true, AllowInsecure = true }, config.Tenancy);
        Assert.Equal(["registry.team-a.example"], config.Namespaces["team-a"].Registries);
        Assert.Equal(["ghcr.io/team-a/*", "ghcr.io/shared/base"], config.Namespaces["team-a"].Repositories);
        Assert.Equal(["ghcr.io"], config.Namespaces["*"].Registries);
    }

    [Theory]
    [InlineData("")]
    [InlineData("# only a comment\n")]
    [InlineData("cache:\nlimits: ~\n")]
    public void An_empty_file_or_empty_sections_mean_the_defaults(string yaml)
    {
        var config = NodeConfigParser.Parse(yaml, "config.yaml");

        Assert.Equal(new CacheSettings(), config.Cache);
        Assert.Equal(new LimitSettings().Concurrency, config.Limits.Concurrency);
        Assert.True(config.Tenancy.Enforce);
        Assert.Empty(config.Namespaces);
    }

    [Theory]
    [InlineData("", 300)]
    [InlineData("tenancy: { verifiedFor: 90s }", 90)]
    [InlineData("tenancy: { verifiedFor: 0 }", 0)]
    [InlineData("tenancy: { verifiedFor: 0s }", 0)]
    public void Tenancy_verifiedFor_defaults_to_5_minutes_and_0_turns_it_off(string yaml, int seconds)
    {
        var config = NodeConfigParser.Parse(yaml, "config.yaml");

        Assert.Equal(TimeSpan.FromSeconds(seconds), config.Tenancy.VerifiedFor);
    }

    [Fact]
    public void Pod_pull_secrets_are_off_by_default_and_the_credentials_section_turns_them_on_with_bounded_waits()
    {
        var defaults = NodeConfigParser.Parse("", "config.yaml").Credentials;
        var on = NodeConfigParser.Parse("credentials:\n  podPullSecrets: true\n  apiTimeout: 2s\n  cacheFor: 1m\n", "config.yaml").Credentials;

        Assert.False(defaults.PodPullSecrets);
        Assert.Equal(TimeSpan.FromSeconds(5), defaults.ApiTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), defaults.CacheFor);
        Assert.Equal(new CredentialSettings { PodPullSecrets = true, ApiTimeout = TimeSpan.FromSeconds(2), CacheFor = TimeSpan.FromMinutes(1) }, on);
    }

    [Theory]
    [InlineData("credentials:\n  apiTimeout: 2m\n", "credentials.apiTimeout must be at most 60s")]
    [InlineData("credentials:\n  cacheFor: 1h\n", "credentials.cacheFor must be at most 300s")]
    [InlineData("credentials:\n  apiTimeout: 10ms\n", "credentials.apiTimeout must be a duration of at least 1s")]
    [InlineData("credentials:\n  podPullSecrets: yes\n", "credentials.podPullSecrets must be true or false")]
    public void A_credentials_value_out_of_bounds_is_refused_naming_the_field(string yaml, string message)
    {
        var error = Assert.Throws<HostSettingsException>(() => NodeConfigParser.Parse(yaml, "config.yaml"));

        Assert.Contains(error.Errors, e => e.Line == 2 && e.Message.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void A_verifiedFor_under_a_second_other_than_0_is_refused_naming_the_field()
    {
        var error = Assert.Throws<HostSettingsException>(() => NodeConfigParser.Parse("tenancy:\n  verifiedFor: 500ms\n", "config.yaml"));

        Assert.Contains(error.Errors, e => e.Line == 2 && e.Message.Contains("tenancy.verifiedFor must be a duration of at least 1s", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_problem_is_reported_at_once_with_its_line_and_column()
    {
        var error = Assert.Throws<HostSettingsException>(() => NodeConfigParser.Parse("""
            registries:
              ghcr.io: { plainhttp: true }
            cache:
              budget: lots
              minIdle: 5s
            limits:
              concurrency: 0
            tenancy:
              enforce: "yes"
            namespaces:
              Team_A: { registries: [ghcr.io] }
              team-b: { repositories: ["not a repo"] }
            cahce: {}
            """, "config.yaml"));

        var messages = error.Errors.Select(e => $"{e.Line}:{e.Column}: {e.Message}").ToList();
        Assert.Equal(8, messages.Count);
        Assert.Contains(messages, m => m.StartsWith("2:14:", StringComparison.Ordinal) && m.Contains("did you mean \"plainHttp\"", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("4:11:", StringComparison.Ordinal) && m.Contains("cache.budget", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("5:12:", StringComparison.Ordinal) && m.Contains("at least 60s", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("7:16:", StringComparison.Ordinal) && m.Contains("limits.concurrency", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("9:12:", StringComparison.Ordinal) && m.Contains("tenancy.enforce must be true or false, found the string \"yes\"", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("11:3:", StringComparison.Ordinal) && m.Contains("Team_A", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("\"not a repo\"", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("13:1:", StringComparison.Ordinal) && m.Contains("\"cahce\"", StringComparison.Ordinal));
        Assert.StartsWith("config.yaml: 8 problems:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Malformed_yaml_is_one_problem_with_its_position()
    {
        var error = Assert.Throws<HostSettingsException>(() => NodeConfigParser.Parse("cache: [budget\n", "config.yaml"));

        Assert.Single(error.Errors);
    }

    [Fact]
    public void The_transfer_section_is_read_as_the_cli_and_the_webhook_read_it()
    {
        const string Yaml = "transfer:\n  responseTimeout: 3m\n  idleTimeout: 1m30s\n";

        var config = NodeConfigParser.Parse(Yaml, "config.yaml");

        Assert.Equal(new TransferSettings { ResponseTimeout = TimeSpan.FromMinutes(3), IdleTimeout = TimeSpan.FromSeconds(90) }, config.Transfer);
        Assert.Equal(TransferSettings.Parse(Yaml, "config.yaml"), config.Transfer);
        Assert.Equal(TransferSettings.Default, NodeConfigParser.Parse("", "config.yaml").Transfer);
    }

    [Fact]
    public void Transfer_problems_are_reported_beside_the_plugin_sections_problems()
    {
        var error = Assert.Throws<HostSettingsException>(() => NodeConfigParser.Parse(
            "transfer:\n  idleTimeout: 0s\ncache:\n  budget: lots\n", "config.yaml"));

        Assert.Equal(
            [
                "config.yaml:2:16: transfer.idleTimeout must be a duration from 1s to 1h such as 60s, 2m or 1m30s, found \"0s\"",
                "config.yaml:4:11: cache.budget must be a size such as 20Gi, 500Mi or 1048576, found \"lots\"",
            ],
            error.Errors.Select(e => e.ToString()));
    }

    [Theory]
    [InlineData("1048576", 1048576L)]
    [InlineData("1k", 1000L)]
    [InlineData("1Ki", 1024L)]
    [InlineData("3Mi", 3L << 20)]
    [InlineData("1T", 1_000_000_000_000L)]
    [InlineData("2Ti", 2L << 40)]
    [InlineData("0", 0L)]
    public void Budgets_are_kubernetes_quantities(string text, long bytes) =>
        Assert.Equal(bytes, NodeConfigParser.Parse($"cache: {{ budget: {text} }}", "c.yaml").Cache.Budget);
}

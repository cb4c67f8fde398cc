using OrasAssemble.Settings;

namespace OrasAssemble.Tests.Settings;

public sealed class TransferSettingsParseTests
{
    private static HostSettingsException Fails(string yaml) =>
        Assert.Throws<HostSettingsException>(() => TransferSettings.Parse(yaml, "hosts.yaml"));

    [Fact]
    public void Without_a_transfer_section_the_defaults_apply()
    {
        var settings = TransferSettings.Parse("registries:\n  ghcr.io: { plainHttp: false }\n", "hosts.yaml");

        Assert.Equal(TimeSpan.FromSeconds(60), settings.IdleTimeout);
        Assert.Equal(TimeSpan.FromSeconds(100), settings.ResponseTimeout);
        Assert.Equal(TransferSettings.Default, TransferSettings.Parse("transfer:\n", "hosts.yaml"));
    }

    [Theory]
    [InlineData("90s", 90_000)]
    [InlineData("2m", 120_000)]
    [InlineData("1m30s", 90_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("1s", 1_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("\"45s\"", 45_000)]
    public void Timeouts_take_the_durations_the_webhook_flags_take(string text, int milliseconds)
    {
        var settings = TransferSettings.Parse($"transfer:\n  idleTimeout: {text}\n  responseTimeout: {text}\n", "hosts.yaml");

        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), settings.IdleTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), settings.ResponseTimeout);
    }

    [Fact]
    public void Each_timeout_can_be_set_alone()
    {
        var settings = TransferSettings.Parse("transfer: { responseTimeout: 3m }", "hosts.yaml");

        Assert.Equal(TimeSpan.FromMinutes(3), settings.ResponseTimeout);
        Assert.Equal(TimeSpan.FromSeconds(60), settings.IdleTimeout);
    }

    [Theory]
    [InlineData("0s", "\"0s\"")]
    [InlineData("500ms", "\"500ms\"")]
    [InlineData("2h", "\"2h\"")]
    [InlineData("60", "\"60\"")]
    [InlineData("-5s", "\"-5s\"")]
    [InlineData("soon", "\"soon\"")]
    [InlineData("[60s]", "a list")]
    public void Timeouts_out_of_bounds_or_not_durations_are_refused_naming_the_field(string text, string found)
    {
        var error = Assert.Single(Fails($"transfer:\n  idleTimeout: {text}\n").Errors);

        Assert.Equal((2, 16), (error.Line, error.Column));
        Assert.Equal($"transfer.idleTimeout must be a duration from 1s to 1h such as 60s, 2m or 1m30s, found {found}", error.Message);
    }

    [Fact]
    public void Every_problem_in_the_section_is_reported_at_once()
    {
        var error = Fails("transfer:\n  responseTimeout: 0s\n  idle-timeout: 60s\n  retries: 3\n");

        Assert.Equal(
            [
                "hosts.yaml:2:20: transfer.responseTimeout must be a duration from 1s to 1h such as 60s, 2m or 1m30s, found \"0s\"",
                "hosts.yaml:3:3: transfer: unknown key \"idle-timeout\" (known keys: responseTimeout, idleTimeout); did you mean \"idleTimeout\"?",
                "hosts.yaml:4:3: transfer: unknown key \"retries\" (known keys: responseTimeout, idleTimeout)",
            ],
            error.Errors.Select(e => e.ToString()));
    }

    [Fact]
    public void A_transfer_section_that_is_not_a_mapping_is_refused()
    {
        var error = Assert.Single(Fails("transfer: 60s\n").Errors);

        Assert.Equal("\"transfer\" must be a mapping with any of responseTimeout, idleTimeout, found \"60s\"", error.Message);
    }

    [Fact]
    public void The_registries_reader_leaves_the_transfer_section_alone()
    {
        var hosts = HostSettings.Parse("transfer: { idleTimeout: 5s }\nregistries:\n  ghcr.io: { plainHttp: true }\n", "hosts.yaml");

        Assert.True(hosts.For("ghcr.io").PlainHttp);
    }

    [Fact]
    public async Task A_missing_file_is_an_error_naming_it()
    {
        var path = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), "hosts.yaml");

        var error = await Assert.ThrowsAsync<HostSettingsException>(() => TransferSettings.LoadAsync(path));

        Assert.Equal($"{path}: file not found", error.Message);
    }
}

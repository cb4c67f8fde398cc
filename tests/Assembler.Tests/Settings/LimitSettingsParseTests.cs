using OrasAssemble.Layers;
using OrasAssemble.Settings;

namespace OrasAssemble.Tests.Settings;

public sealed class LimitSettingsParseTests
{
    [Fact]
    public void The_limits_section_is_read_beside_sections_that_belong_to_other_readers()
    {
        var limits = LimitSettingsParser.Parse("""
            registries:
              "127.0.0.1:*": { plainHttp: true }
            cache: { budget: 20Gi }
            limits:
              maxTotalBytes: 2Gi
              maxFileBytes: 512Mi
              maxEntries: 1000
              concurrency: 2
            """, "config.yaml");

        Assert.Equal(ExtractionLimits.Default with { MaxTotalBytes = 2L << 30, MaxFileBytes = 512L << 20, MaxEntries = 1000 }, limits.Extraction);
        Assert.Equal(2, limits.Concurrency);
        Assert.Equal(LimitSettings.Default.PublishWait, limits.PublishWait);
    }

    [Fact]
    public void A_file_without_limits_means_the_defaults()
    {
        Assert.Equal(LimitSettings.Default, LimitSettingsParser.Parse("registries: {}\n", "config.yaml"));
        Assert.Equal(LimitSettings.Default, LimitSettingsParser.Parse("", "config.yaml"));
    }

    [Fact]
    public void Every_problem_of_the_section_is_reported_with_its_position()
    {
        var e = Assert.Throws<HostSettingsException>(() => LimitSettingsParser.Parse("""
            limits:
              maxTotalBytes: 0
              maxentries: 5
            """, "config.yaml"));

        Assert.Equal(
            [
                "config.yaml:2:18: limits.maxTotalBytes must be a positive size such as 20Gi, 500Mi or 1048576, found \"0\"",
                "config.yaml:3:3: limits: unknown key \"maxentries\" (known keys: concurrency, maxConcurrency, maxFileBytes, maxTotalBytes, maxEntries, publishWait); did you mean \"maxEntries\"?",
            ],
            e.Errors.Select(error => error.ToString()));
    }
}

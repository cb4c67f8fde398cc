using OrasAssemble.CsiNode.Configuration;
using OrasAssemble.CsiNode.Outputs;
using OrasAssemble.Settings;

namespace OrasAssemble.CsiNode.Tests.Outputs;

/// <summary>The node config's <c>outputs:</c> section, read like the other sections.</summary>
public sealed class OutputSettingsTests
{
    [Fact]
    public void Every_key_of_the_outputs_section_is_read()
    {
        var config = NodeConfigParser.Parse("""
            outputs:
              maxBytes: 2Gi
              maxFiles: 5000
              parallelism: 4
              retryInitial: 2s
              retryMax: 10m
              retryRefused: 1h
              maxAge: 48h
            """, "config.yaml");

        Assert.Equal(
            new OutputSettings
            {
                MaxBytes = 2L << 30, MaxFiles = 5000, Parallelism = 4, RetryInitial = TimeSpan.FromSeconds(2), RetryMax = TimeSpan.FromMinutes(10),
                RetryRefused = TimeSpan.FromHours(1), MaxAge = TimeSpan.FromHours(48),
            },
            config.Outputs);
    }

    [Theory]
    [InlineData("")]
    [InlineData("outputs:\n")]
    [InlineData("outputs: {}\n")]
    public void Without_the_section_the_documented_defaults_apply(string yaml)
    {
        var outputs = NodeConfigParser.Parse(yaml, "config.yaml").Outputs;

        Assert.Equal(10L << 30, outputs.MaxBytes);
        Assert.Equal(100_000, outputs.MaxFiles);
        Assert.Equal(2, outputs.Parallelism);
        Assert.Equal(TimeSpan.FromSeconds(5), outputs.RetryInitial);
        Assert.Equal(TimeSpan.FromMinutes(5), outputs.RetryMax);
        Assert.Equal(TimeSpan.FromMinutes(30), outputs.RetryRefused);
        Assert.Equal(TimeSpan.FromHours(24), outputs.MaxAge);
    }

    [Fact]
    public void Every_problem_of_the_section_is_reported_with_its_line()
    {
        var error = Assert.Throws<HostSettingsException>(() => NodeConfigParser.Parse("""
            outputs:
              maxBytes: 0
              maxFile: 10
              parallelism: 99
              retryInitial: 10s
              retryMax: 5s
            """, "config.yaml"));

        var messages = error.Errors.Select(e => $"{e.Line}: {e.Message}").ToList();
        Assert.Equal(4, messages.Count);
        Assert.Contains(messages, m => m.StartsWith("2: outputs.maxBytes must be a positive size", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("3: ", StringComparison.Ordinal) && m.Contains("\"maxFile\"", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("4: outputs.parallelism must be a whole number from 1 to 16", StringComparison.Ordinal));
        Assert.Contains(messages, m => m == "6: outputs.retryMax must not be shorter than outputs.retryInitial");
    }
}

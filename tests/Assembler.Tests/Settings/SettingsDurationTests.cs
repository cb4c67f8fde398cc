using OrasAssemble.Settings;

namespace OrasAssemble.Tests.Settings;

/// <summary>Durations in the settings file, written as Kubernetes writes them.</summary>
public sealed class SettingsDurationTests
{
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
}

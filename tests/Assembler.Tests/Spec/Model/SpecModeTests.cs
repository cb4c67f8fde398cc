using OrasAssemble.Spec.Model;

namespace OrasAssemble.Tests.Spec.Model;

public sealed class SpecModeTests
{
    [Theory]
    [InlineData("644", "0644")]
    [InlineData("0755", "0755")]
    [InlineData("4755", "4755")]
    [InlineData("000", "0000")]
    [InlineData("7777", "7777")]
    public void ParsesOctalText(string text, string canonical)
    {
        Assert.True(SpecMode.TryParse(text, out var mode));
        Assert.Equal(canonical, SpecMode.Format(mode.Value));
        Assert.Null(SpecMode.Problem(text));
    }

    [Theory]
    [InlineData("")]
    [InlineData("64")]
    [InlineData("0o755")]
    [InlineData("0x1ed")]
    [InlineData("999")]
    [InlineData("07555")]
    [InlineData("-644")]
    [InlineData(" 644")]
    public void RejectsAnythingElse(string text)
    {
        Assert.False(SpecMode.TryParse(text, out _));
        Assert.Contains("is not an octal mode", SpecMode.Problem(text), StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => SpecMode.Parse(text));
    }

    [Fact]
    public void KnowsTheSpecialBits()
    {
        Assert.True(SpecMode.SetsSpecialBits(SpecMode.Parse("4755")));
        Assert.True(SpecMode.SetsSpecialBits(SpecMode.Parse("2755")));
        Assert.False(SpecMode.SetsSpecialBits(SpecMode.Parse("1777")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, SpecMode.Parse("0644"));
    }
}

using OrasAssemble.Registry;
using OrasAssemble.Text;

namespace OrasAssemble.Tests.Text;

public sealed class QuotedValueTests
{
    [Fact]
    public void A_short_value_is_quoted_whole()
    {
        Assert.Equal("\"registry.example/app:1\"", QuotedValue.Of("registry.example/app:1"));
    }

    [Fact]
    public void A_long_value_keeps_its_first_256_characters_and_says_how_long_it_was()
    {
        var value = new string('a', 1024 * 1024);

        Assert.Equal($"\"{new string('a', 256)}…\" (1048576 characters)", QuotedValue.Of(value));
        Assert.Equal($"{new string('a', 256)}… (1048576 characters)", QuotedValue.Bare(value));
    }

    [Fact]
    public void A_cut_never_splits_a_surrogate_pair()
    {
        var value = new string('a', 255) + "😀" + new string('b', 10);

        Assert.Equal($"\"{new string('a', 255)}…\" (267 characters)", QuotedValue.Of(value));
    }

    [Fact]
    public void An_invalid_huge_reference_is_named_by_its_start_and_length()
    {
        var text = "registry.example/" + new string('a', 1024 * 1024);

        var e = Assert.Throws<InvalidReferenceException>(() => Reference.Parse(text));

        Assert.InRange(e.Message.Length, 1, 1024);
        Assert.StartsWith($"invalid reference \"{text[..256]}…\" ({text.Length} characters): ", e.Message, StringComparison.Ordinal);
        Assert.Equal(text, e.Input);
    }
}

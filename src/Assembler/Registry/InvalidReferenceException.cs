using OrasAssemble.Text;

namespace OrasAssemble.Registry;

/// <summary>A text is not a valid image or artifact reference; the message quotes it and says what is wrong.</summary>
public sealed class InvalidReferenceException(string input, string problem, Exception? inner = null)
    : FormatException($"invalid reference {QuotedValue.Of(input)}: {problem}", inner)
{
    /// <summary>The text that failed to parse.</summary>
    public string Input { get; } = input;

    /// <summary>What is wrong with it, without the quoted input.</summary>
    public string Problem { get; } = problem;
}

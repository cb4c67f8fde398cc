using System.Text.RegularExpressions;

namespace OrasAssemble.Content;

/// <summary>The tag grammar of the OCI distribution spec, shared by the stores that accept tags.</summary>
internal static partial class TagName
{
    [GeneratedRegex("^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex Grammar();

    public static bool IsValid(string? tag) => tag is not null && Grammar().IsMatch(tag);

    public static string Validate(string? tag)
    {
        if (!IsValid(tag))
        {
            throw new ArgumentException(
                $"invalid tag \"{tag}\": a tag is 1 to 128 letters, digits, '_', '.' or '-', and does not start with '.' or '-'",
                nameof(tag));
        }

        return tag!;
    }
}

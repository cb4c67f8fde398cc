using System.Text.RegularExpressions;
using OrasAssemble.Text;

namespace OrasAssemble.Content;

/// <summary>
/// What a local store accepts as a tag: a distribution-spec tag (<c>1.0</c>), or, as the OCI image-layout spec's
/// <c>org.opencontainers.image.ref.name</c> allows, a full reference (<c>registry.example/apps/app:1.0</c>), which
/// is how the embedded default store keeps content of many repositories apart.
/// </summary>
internal static partial class TagName
{
    private const int MaxRefNameLength = 1024;

    [GeneratedRegex("^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex Tag();

    [GeneratedRegex("^[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*(?:/[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*)*\\z", RegexOptions.CultureInvariant)]
    private static partial Regex RefName();

    public static bool IsValid(string? tag) =>
        tag is not null
        && !Oci.Digest.IsValid(tag)
        && (Tag().IsMatch(tag) || (tag.Length <= MaxRefNameLength && RefName().IsMatch(tag)));

    public static string Validate(string? tag)
    {
        if (!IsValid(tag))
        {
            throw new ArgumentException(
                $"invalid tag {QuotedValue.Of(tag)}: a tag is 1 to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-', " +
                "or a full reference such as registry.example/app:1.0",
                nameof(tag));
        }

        return tag!;
    }
}

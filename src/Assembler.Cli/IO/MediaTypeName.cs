using System.Text.RegularExpressions;

namespace OrasAssemble.Cli.IO;

/// <summary>The media type grammar of RFC 6838 (type/subtype, with any +suffix part of the subtype).</summary>
internal static partial class MediaTypeName
{
    public static bool IsValid(string? mediaType) => mediaType is not null && Grammar().IsMatch(mediaType);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex Grammar();
}

using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace OrasAssemble.Spec.Model;

/// <summary>An owner as the spec writes it: numeric <c>uid:gid</c>, e.g. <c>1000:1000</c>.</summary>
internal static class SpecOwner
{
    /// <summary>The largest id: 2^32-1 is the "leave unchanged" value of chown(2), never an owner.</summary>
    public const uint MaxId = uint.MaxValue - 1;

    public static bool TryParse(string? text, [NotNullWhen(true)] out (uint Uid, uint Gid)? owner)
    {
        owner = null;
        var colon = text?.IndexOf(':', StringComparison.Ordinal) ?? -1;
        if (colon < 0 || !TryId(text.AsSpan(0, colon), out var uid) || !TryId(text.AsSpan(colon + 1), out var gid))
        {
            return false;
        }

        owner = (uid, gid);
        return true;
    }

    public static (uint Uid, uint Gid) Parse(string text) =>
        TryParse(text, out var owner) ? owner.Value : throw new FormatException(Problem(text));

    /// <summary>What is wrong with the text, or null.</summary>
    public static string? Problem(string text) =>
        TryParse(text, out _) ? null : $"\"{SpecPath.Show(text)}\" is not a numeric owner and group (uid:gid, each at most {MaxId}), such as \"1000:1000\"";

    /// <summary>The canonical form: both ids in decimal without leading zeros.</summary>
    public static string Format((uint Uid, uint Gid) owner) =>
        string.Create(CultureInfo.InvariantCulture, $"{owner.Uid}:{owner.Gid}");

    private static bool TryId(ReadOnlySpan<char> text, out uint id)
    {
        id = 0;
        if (text.Length is < 1 or > 10 || text.ContainsAnyExceptInRange('0', '9'))
        {
            return false;
        }

        var value = ulong.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);
        if (value > MaxId)
        {
            return false;
        }

        id = (uint)value;
        return true;
    }
}

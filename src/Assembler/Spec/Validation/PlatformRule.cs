using System.Text.RegularExpressions;

namespace OrasAssemble.Spec.Validation;

/// <summary>
/// Checks <c>os/arch[/variant]</c> strictly: a misspelt platform would otherwise never match any image and
/// fail only at run time. The known values are Go's GOOS and GOARCH lists, which OCI images use.
/// </summary>
internal static partial class PlatformRule
{
    private static readonly string[] OperatingSystems =
    [
        "aix", "android", "darwin", "dragonfly", "freebsd", "illumos", "ios", "js", "linux", "netbsd", "openbsd",
        "plan9", "solaris", "wasip1", "windows",
    ];

    private static readonly string[] Architectures =
    [
        "386", "amd64", "arm", "arm64", "loong64", "mips", "mips64", "mips64le", "mipsle", "ppc64", "ppc64le",
        "riscv64", "s390x", "wasm",
    ];

    public static string? Problem(string text)
    {
        var parts = text.Split('/');
        if (parts.Length is < 2 or > 3 || parts.Any(part => part.Length == 0))
        {
            return $"\"{SpecPath.Show(text)}\" is not a platform; write os/architecture[/variant], such as linux/amd64";
        }

        if (!OperatingSystems.Contains(parts[0]))
        {
            return $"unknown operating system \"{SpecPath.Show(parts[0])}\"" + Suggestion.Hint(parts[0], OperatingSystems);
        }

        if (!Architectures.Contains(parts[1]))
        {
            return $"unknown architecture \"{SpecPath.Show(parts[1])}\"" + Suggestion.Hint(parts[1], Architectures);
        }

        return parts.Length == 3 && !Variant().IsMatch(parts[2])
            ? $"variant \"{SpecPath.Show(parts[2])}\" must be lowercase letters, digits and '.', such as v8"
            : null;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9.]{0,15}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex Variant();
}

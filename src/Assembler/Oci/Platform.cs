using System.Runtime.InteropServices;
using System.Text.Json.Serialization;
using OrasAssemble.Text;

namespace OrasAssemble.Oci;

/// <summary>The platform an image runs on, as an index entry or an image config states it.</summary>
public sealed record Platform
{
    [JsonPropertyName("architecture")]
    public required string Architecture { get; init; }

    [JsonPropertyName("os")]
    public required string Os { get; init; }

    [JsonPropertyName("os.version")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? OsVersion { get; init; }

    [JsonPropertyName("os.features")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? OsFeatures { get; init; }

    [JsonPropertyName("variant")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Variant { get; init; }

    /// <summary>Parses <c>os/arch[/variant]</c>, e.g. <c>linux/amd64</c> or <c>linux/arm64/v8</c>.</summary>
    public static Platform Parse(string text)
    {
        var parts = text.Split('/');
        if (parts.Length is < 2 or > 3 || parts.Any(string.IsNullOrWhiteSpace))
        {
            throw new FormatException($"invalid platform {QuotedValue.Of(text)}: expected os/architecture[/variant], e.g. linux/amd64");
        }

        return new Platform { Os = parts[0], Architecture = parts[1], Variant = parts.Length == 3 ? parts[2] : null };
    }

    /// <summary>The platform this process runs on.</summary>
    public static Platform Current => new()
    {
        Os = OperatingSystem.IsWindows() ? "windows" : OperatingSystem.IsMacOS() ? "darwin" : "linux",
        Architecture = RuntimeInformation.OSArchitecture switch
        {
            System.Runtime.InteropServices.Architecture.X64 => "amd64",
            System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
            System.Runtime.InteropServices.Architecture.Arm => "arm",
            System.Runtime.InteropServices.Architecture.X86 => "386",
            System.Runtime.InteropServices.Architecture.S390x => "s390x",
            System.Runtime.InteropServices.Architecture.Ppc64le => "ppc64le",
            var other => other.ToString().ToLowerInvariant(),
        },
    };

    /// <summary>
    /// Whether an image for <paramref name="candidate"/> satisfies a request for this platform: os and
    /// architecture equal, variant equal when asked for (arm64's implied <c>v8</c> and arm's implied <c>v7</c> count).
    /// </summary>
    public bool IsSatisfiedBy(Platform candidate)
    {
        if (!string.Equals(Os, candidate.Os, StringComparison.Ordinal)
            || !string.Equals(Architecture, candidate.Architecture, StringComparison.Ordinal))
        {
            return false;
        }

        if (Variant is null)
        {
            return true;
        }

        return string.Equals(NormalVariant(Architecture, Variant), NormalVariant(candidate.Architecture, candidate.Variant), StringComparison.Ordinal)
            && (OsVersion is null || string.Equals(OsVersion, candidate.OsVersion, StringComparison.Ordinal));
    }

    private static string? NormalVariant(string architecture, string? variant) => (architecture, variant) switch
    {
        ("arm64", null) => "v8",
        ("arm", null) => "v7",
        _ => variant,
    };

    public override string ToString() => Variant is null ? $"{Os}/{Architecture}" : $"{Os}/{Architecture}/{Variant}";
}

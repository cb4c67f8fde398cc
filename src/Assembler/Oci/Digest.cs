using System.Security.Cryptography;
using System.Text.RegularExpressions;
using OrasAssemble.Text;

namespace OrasAssemble.Oci;

/// <summary>Content digests as the OCI image spec defines them: <c>algorithm:encoded</c>.</summary>
public static partial class Digest
{
    public const string Sha256Prefix = "sha256:";

    [GeneratedRegex("^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+\\z", RegexOptions.CultureInvariant)]
    private static partial Regex Grammar();

    [GeneratedRegex("^[a-f0-9]{64}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex Sha256Hex();

    [GeneratedRegex("^[a-f0-9]{128}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex Sha512Hex();

    /// <summary>Returns the digest when it is well formed and of an algorithm we can verify; throws otherwise.</summary>
    public static string Validate(string digest)
    {
        if (!TryValidate(digest, out var problem))
        {
            throw new FormatException($"invalid digest {QuotedValue.Of(digest)}: {problem}");
        }

        return digest;
    }

    public static bool IsValid(string? digest) => digest is not null && TryValidate(digest, out _);

    private static bool TryValidate(string digest, out string problem)
    {
        if (!Grammar().IsMatch(digest))
        {
            problem = "expected <algorithm>:<hex>";
            return false;
        }

        var (algorithm, encoded) = Split(digest);
        switch (algorithm)
        {
            case "sha256" when Sha256Hex().IsMatch(encoded):
            case "sha512" when Sha512Hex().IsMatch(encoded):
                problem = "";
                return true;
            case "sha256":
                problem = "a sha256 digest has 64 lowercase hex characters";
                return false;
            case "sha512":
                problem = "a sha512 digest has 128 lowercase hex characters";
                return false;
            default:
                problem = $"unsupported algorithm {QuotedValue.Of(algorithm)}";
                return false;
        }
    }

    public static (string Algorithm, string Encoded) Split(string digest)
    {
        var colon = digest.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? (digest, "") : (digest[..colon], digest[(colon + 1)..]);
    }

    /// <summary>The encoded part of a validated digest: the hex after the colon.</summary>
    public static string Encoded(string digest) => Split(Validate(digest)).Encoded;

    public static string Algorithm(string digest) => Split(Validate(digest)).Algorithm;

    /// <summary>The digest of <paramref name="content"/> in the algorithm of <paramref name="like"/> (sha256 or sha512).</summary>
    public static string ComputeLike(string like, ReadOnlySpan<byte> content) => Algorithm(like) switch
    {
        "sha512" => "sha512:" + Convert.ToHexStringLower(SHA512.HashData(content)),
        _ => ComputeSha256(content),
    };

    public static string ComputeSha256(ReadOnlySpan<byte> content) =>
        Sha256Prefix + Convert.ToHexStringLower(SHA256.HashData(content));

    /// <summary>An incremental hash for the algorithm of <paramref name="digest"/>.</summary>
    public static IncrementalHash CreateHash(string digest) => Algorithm(digest) switch
    {
        "sha256" => IncrementalHash.CreateHash(HashAlgorithmName.SHA256),
        "sha512" => IncrementalHash.CreateHash(HashAlgorithmName.SHA512),
        var other => throw new NotSupportedException($"unsupported digest algorithm {QuotedValue.Of(other)}"),
    };

    public static string Format(string algorithm, byte[] hash) => algorithm + ":" + Convert.ToHexStringLower(hash);
}

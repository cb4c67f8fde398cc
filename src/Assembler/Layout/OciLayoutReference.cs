using System.Text.RegularExpressions;
using OrasAssemble.Oci;
using OrasAssemble.Registry;

namespace OrasAssemble.Layout;

/// <summary>
/// A spec source read from an OCI image layout on local disk: <c>oci-layout://&lt;dir&gt;[:tag|@digest]</c>, the tag
/// <c>latest</c> when neither is given. A relative directory is resolved by whoever reads the spec (the CLI: against
/// the spec file's directory); a node plugin reads registries only and refuses the form.
/// </summary>
public sealed partial record OciLayoutReference
{
    public const string Scheme = "oci-layout://";

    private OciLayoutReference(string directory, string? tag, string? digest)
    {
        Directory = directory;
        Tag = tag;
        Digest = digest;
    }

    /// <summary>The directory as written, relative or absolute.</summary>
    public string Directory { get; }

    public string? Tag { get; }

    public string? Digest { get; }

    /// <summary>What to resolve inside the layout: the digest, else the tag, else <c>latest</c>.</summary>
    public string ContentReference => Digest ?? Tag ?? "latest";

    /// <summary>Whether <paramref name="text"/> uses the <c>oci-layout://</c> form (valid or not).</summary>
    public static bool IsLayoutReference(string? text) => text is not null && text.StartsWith(Scheme, StringComparison.Ordinal);

    /// <exception cref="InvalidReferenceException">The text is not <c>oci-layout://&lt;dir&gt;[:tag|@digest]</c>.</exception>
    public static OciLayoutReference Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!IsLayoutReference(text))
        {
            throw new InvalidReferenceException(text, $"an OCI layout source starts with {Scheme}");
        }

        var rest = text[Scheme.Length..];
        string? tag = null;
        string? digest = null;
        var at = rest.LastIndexOf('@');
        if (at >= 0)
        {
            digest = rest[(at + 1)..];
            rest = rest[..at];
            if (!Oci.Digest.IsValid(digest))
            {
                throw new InvalidReferenceException(text, $"\"{digest}\" after '@' is not a digest such as sha256:<64 hex digits>");
            }
        }
        else
        {
            // A tag follows the last ':' after the last '/', so a directory may itself contain ':' earlier on.
            var colon = rest.LastIndexOf(':');
            if (colon > rest.LastIndexOf('/'))
            {
                tag = rest[(colon + 1)..];
                rest = rest[..colon];
                if (!TagPattern().IsMatch(tag) || tag.Length > 128)
                {
                    throw new InvalidReferenceException(text, $"\"{tag}\" after ':' is not a tag (letters, digits, '_', '.', '-', at most 128)");
                }
            }
        }

        if (rest.Length == 0)
        {
            throw new InvalidReferenceException(text, $"no directory after {Scheme}");
        }

        if (rest.Any(char.IsControl))
        {
            throw new InvalidReferenceException(text, "the directory contains a control character");
        }

        return new OciLayoutReference(rest, tag, digest);
    }

    /// <summary>The layout's directory, a relative one taken from <paramref name="baseDirectory"/>.</summary>
    public string FullDirectory(string baseDirectory) => Path.GetFullPath(Directory, Path.GetFullPath(baseDirectory));

    public override string ToString() => Scheme + Directory + (Digest is not null ? "@" + Digest : Tag is not null ? ":" + Tag : "");

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]*\\z", RegexOptions.CultureInvariant)]
    private static partial Regex TagPattern();
}

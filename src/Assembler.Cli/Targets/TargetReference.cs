using System.Text.RegularExpressions;
using OrasAssemble.Execution;
using OrasAssemble.Registry;
using OciDigest = OrasAssemble.Oci.Digest;

namespace OrasAssemble.Cli.Targets;

/// <summary>
/// Where an artifact is, as given on the command line: a registry reference (<c>host/repo:tag</c>); with
/// <c>--oci-layout</c> an OCI image layout directory and a tag or digest in it (<c>dir:tag</c>, <c>dir@sha256:…</c>);
/// or with <c>--store</c> a registry reference kept in the embedded store, tagged by its full name.
/// </summary>
internal sealed partial record TargetReference
{
    private TargetReference(Reference? registry, string? layoutPath, string? storePath, string? tag, string? digest)
    {
        Registry = registry;
        LayoutPath = layoutPath;
        StorePath = storePath;
        Tag = tag;
        Digest = digest;
    }

    /// <summary>The registry reference (also what it stands for in the store); null for a layout.</summary>
    public Reference? Registry { get; }

    /// <summary>The layout directory as given; null for a registry or the store.</summary>
    public string? LayoutPath { get; }

    /// <summary>The store directory (<c>--store</c>) the reference is kept in; null when it is read from its registry.</summary>
    public string? StorePath { get; }

    public string? Tag { get; }

    public string? Digest { get; }

    public bool IsLayout => LayoutPath is not null;

    /// <summary>
    /// The tag a push names: the tag itself in a registry or layout, the full reference in the store; null for a
    /// reference by digest alone.
    /// </summary>
    public string? PushTag => StorePath is null ? Tag : Digest is null ? Registry!.ToString() : null;

    /// <summary>
    /// The tag or digest to resolve: the digest when there is one, else the tag (in the store, the full reference),
    /// else <c>latest</c>.
    /// </summary>
    public string ContentReference => StorePath is null ? Digest ?? Tag ?? Reference.DefaultTag : StoreTargetLocator.TagFor(Registry!);

    /// <param name="text">The reference as the user wrote it.</param>
    /// <param name="ociLayout">Whether <c>--oci-layout</c> was given: the text names a layout directory.</param>
    /// <param name="storePath">The <c>--store</c> directory, when given.</param>
    /// <exception cref="InvalidReferenceException">The text is not a reference of the kind asked for.</exception>
    public static TargetReference Parse(string text, bool ociLayout, string? storePath = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!ociLayout)
        {
            var reference = Reference.Parse(text);
            return new TargetReference(reference, null, storePath, reference.Tag, reference.Digest);
        }

        var path = text;
        string? digest = null;
        var at = path.LastIndexOf('@');
        if (at >= 0)
        {
            digest = path[(at + 1)..];
            path = path[..at];
            if (!OciDigest.IsValid(digest))
            {
                throw new InvalidReferenceException(text, $"\"{digest}\" after '@' is not a valid digest (expected sha256:<64 hex>)");
            }
        }

        // A colon after the last slash starts the tag, so a directory name may itself hold colons before a slash.
        string? tag = null;
        var colon = path.LastIndexOf(':');
        if (colon > path.LastIndexOf('/'))
        {
            tag = path[(colon + 1)..];
            path = path[..colon];
            if (!TagGrammar().IsMatch(tag))
            {
                throw new InvalidReferenceException(text,
                    $"tag \"{tag}\" is invalid: use 1 to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'");
            }
        }

        if (path.Length == 0)
        {
            throw new InvalidReferenceException(text, "the OCI layout directory is missing: write <dir>[:<tag>] or <dir>@<digest>");
        }

        return new TargetReference(null, path, null, tag ?? (digest is null ? Reference.DefaultTag : null), digest);
    }

    public override string ToString()
    {
        if (Registry is not null)
        {
            return Registry.ToString();
        }

        return LayoutPath + (Tag is null ? "" : ":" + Tag) + (Digest is null ? "" : "@" + Digest);
    }

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex TagGrammar();
}

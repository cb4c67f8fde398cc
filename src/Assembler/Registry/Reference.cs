using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using OrasAssemble.Text;
using OciDigest = OrasAssemble.Oci.Digest;

namespace OrasAssemble.Registry;

/// <summary>
/// A reference to an image or artifact in a registry, normalized as docker and containerd do:
/// <c>ubuntu</c> is <c>docker.io/library/ubuntu:latest</c>. Instances are always valid.
/// </summary>
public sealed partial record Reference
{
    public const string DockerHub = "docker.io";
    public const string DefaultTag = "latest";

    private const string DockerHubEndpoint = "registry-1.docker.io";
    private const string DockerHubLegacyName = "index.docker.io";
    private const string OfficialImagesPrefix = "library/";
    private const int MaxTagLength = 128;
    private const int MaxNameLength = 255;

    private Reference(string registry, string repository, string? tag, string? digest)
    {
        Registry = registry;
        Repository = repository;
        Tag = tag;
        Digest = digest;
    }

    /// <summary>The registry as written in references: lowercase <c>host[:port]</c>, <c>docker.io</c> for Docker Hub.</summary>
    public string Registry { get; }

    /// <summary>The repository path inside the registry, e.g. <c>library/ubuntu</c>.</summary>
    public string Repository { get; }

    public string? Tag { get; }

    public string? Digest { get; }

    /// <summary>What to ask the registry for: the digest when there is one (it pins the content), else the tag.</summary>
    public string ContentReference => Digest ?? Tag ?? DefaultTag;

    /// <summary>The endpoint to connect to; Docker Hub's API does not live at <c>docker.io</c>.</summary>
    public string Host => Registry == DockerHub ? DockerHubEndpoint : Registry;

    /// <exception cref="InvalidReferenceException">The text is not a valid reference; the message says why.</exception>
    public static Reference Parse(string text) =>
        ParseCore(text, out var problem) ?? throw new InvalidReferenceException(text ?? "", problem);

    public static bool TryParse(string text, [NotNullWhen(true)] out Reference? reference)
    {
        reference = ParseCore(text, out _);
        return reference is not null;
    }

    /// <summary>
    /// The same repository at <paramref name="tag"/>. Any digest is dropped, so the result names what the tag
    /// points at rather than silently staying pinned to the old content.
    /// </summary>
    public Reference WithTag(string tag)
    {
        ArgumentNullException.ThrowIfNull(tag);
        var problem = TagProblem(tag);
        return problem is null
            ? new Reference(Registry, Repository, tag, null)
            : throw new InvalidReferenceException($"{Registry}/{Repository}:{tag}", problem);
    }

    /// <summary>The same repository pinned to <paramref name="digest"/>; the tag, if any, is kept for display.</summary>
    public Reference WithDigest(string digest)
    {
        ArgumentNullException.ThrowIfNull(digest);
        var problem = DigestProblem(digest);
        return problem is null
            ? new Reference(Registry, Repository, Tag, digest)
            : throw new InvalidReferenceException($"{Registry}/{Repository}@{digest}", problem);
    }

    public override string ToString()
    {
        var text = Registry + "/" + Repository;
        if (Tag is not null)
        {
            text += ":" + Tag;
        }

        if (Digest is not null)
        {
            text += "@" + Digest;
        }

        return text;
    }

    private static Reference? ParseCore(string? text, out string problem)
    {
        problem = Problem(text, out var reference) ?? "";
        return reference;
    }

    // Returns what is wrong, or null with the parsed reference. Checks run left to right so the first
    // problem a reader would meet is the one reported.
    private static string? Problem(string? text, out Reference? reference)
    {
        reference = null;
        if (string.IsNullOrEmpty(text))
        {
            return "reference is empty";
        }

        if (text.Any(char.IsWhiteSpace))
        {
            return "it must not contain whitespace";
        }

        if (text.Contains("://", StringComparison.Ordinal))
        {
            return "a reference has no URL scheme; write host[:port]/repository[:tag][@digest]";
        }

        if (ImageId().IsMatch(text))
        {
            return "a 64-character hexadecimal string is an image ID, not a repository name";
        }

        var name = text;
        string? digest = null;
        var at = text.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            digest = text[(at + 1)..];
            name = text[..at];
        }

        // A colon after the last slash starts the tag; an earlier one belongs to the registry's port.
        string? tag = null;
        var colon = name.LastIndexOf(':');
        if (colon > name.LastIndexOf('/'))
        {
            tag = name[(colon + 1)..];
            name = name[..colon];
        }

        if (name.Length == 0)
        {
            return "repository name is missing";
        }

        var registry = DockerHub;
        var repository = name;
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0 && NamesRegistry(name[..slash]))
        {
            registry = name[..slash];
            repository = name[(slash + 1)..];
            if (RegistryProblem(registry) is { } registryProblem)
            {
                return registryProblem;
            }

            registry = registry.ToLowerInvariant();
            if (registry == DockerHubLegacyName)
            {
                registry = DockerHub;
            }

            if (repository.Length == 0)
            {
                return $"repository name is missing after registry {QuotedValue.Of(registry)}";
            }
        }

        if (RepositoryProblem(repository) is { } repositoryProblem)
        {
            return repositoryProblem;
        }

        if (registry == DockerHub && !repository.Contains('/', StringComparison.Ordinal))
        {
            repository = OfficialImagesPrefix + repository;
        }

        var fullName = registry.Length + 1 + repository.Length;
        if (fullName > MaxNameLength)
        {
            return $"name is {fullName} characters long; the limit is {MaxNameLength}";
        }

        if (tag is not null && TagProblem(tag) is { } tagProblem)
        {
            return tagProblem;
        }

        if (digest is not null && DigestProblem(digest) is { } digestProblem)
        {
            return digestProblem;
        }

        reference = new Reference(registry, repository, tag ?? (digest is null ? DefaultTag : null), digest);
        return null;
    }

    // The distribution rule: only a first component that cannot be a repository path names a registry.
    private static bool NamesRegistry(string component) =>
        component.Contains('.', StringComparison.Ordinal)
        || component.Contains(':', StringComparison.Ordinal)
        || component.Equals("localhost", StringComparison.OrdinalIgnoreCase);

    private static string? RegistryProblem(string registry)
    {
        string? port = null;
        if (registry.StartsWith('['))
        {
            var close = registry.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                return $"registry {QuotedValue.Of(registry)} opens '[' for an IPv6 address but never closes it";
            }

            var address = registry[1..close];
            if (address.Contains('%', StringComparison.Ordinal)
                || !IPAddress.TryParse(address, out var ip)
                || ip.AddressFamily != AddressFamily.InterNetworkV6)
            {
                return $"registry {QuotedValue.Of(registry)} has {QuotedValue.Of(address)} in brackets, which is not an IPv6 address";
            }

            var after = registry[(close + 1)..];
            if (after.Length > 0)
            {
                if (after[0] != ':')
                {
                    return $"registry {QuotedValue.Of(registry)} has {QuotedValue.Of(after)} after the IPv6 address where only :port may follow";
                }

                port = after[1..];
            }
        }
        else
        {
            var host = registry;
            var colon = registry.IndexOf(':', StringComparison.Ordinal);
            if (colon >= 0)
            {
                host = registry[..colon];
                port = registry[(colon + 1)..];
            }

            if (host.Length == 0)
            {
                return $"registry {QuotedValue.Of(registry)} has no host name before the port";
            }

            if (!HostName().IsMatch(host))
            {
                return $"registry host {QuotedValue.Of(host)} is not a valid host name or IPv4 address";
            }
        }

        if (port is null)
        {
            return null;
        }

        if (port.Length == 0)
        {
            return $"registry {QuotedValue.Of(registry)} has an empty port after ':'";
        }

        if (!port.All(char.IsAsciiDigit))
        {
            return $"port {QuotedValue.Of(port)} of registry {QuotedValue.Of(registry)} is not a number";
        }

        return int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number is >= 1 and <= 65535
            ? null
            : $"port {port} of registry {QuotedValue.Of(registry)} is outside 1-65535";
    }

    private static string? RepositoryProblem(string repository)
    {
        if (repository.Any(char.IsAsciiLetterUpper))
        {
            return $"repository {QuotedValue.Of(repository)} must be lowercase";
        }

        foreach (var component in repository.Split('/'))
        {
            if (component.Length == 0)
            {
                return $"repository {QuotedValue.Of(repository)} has an empty path component";
            }

            if (!PathComponent().IsMatch(component))
            {
                return $"repository path component {QuotedValue.Of(component)} is invalid: use lowercase letters and digits, "
                    + "separated by '.', '_', '__' or dashes";
            }
        }

        return null;
    }

    private static string? TagProblem(string tag)
    {
        if (tag.Length == 0)
        {
            return "tag after ':' is empty";
        }

        if (tag.Length > MaxTagLength)
        {
            return $"tag is {tag.Length} characters long; the limit is {MaxTagLength}";
        }

        return TagGrammar().IsMatch(tag)
            ? null
            : $"tag {QuotedValue.Of(tag)} is invalid: use letters, digits, '_', '.' and '-', not starting with '.' or '-'";
    }

    private static string? DigestProblem(string digest)
    {
        if (digest.Length == 0)
        {
            return "digest after '@' is empty";
        }

        // The digest grammar's '$' would let a trailing newline through.
        if (digest.Any(char.IsWhiteSpace))
        {
            return $"digest {QuotedValue.Of(digest)} must not contain whitespace";
        }

        if (OciDigest.IsValid(digest))
        {
            return null;
        }

        try
        {
            OciDigest.Validate(digest);
            return null;
        }
        catch (FormatException invalid)
        {
            // The digest module words its own problems; reuse them rather than restate its grammar.
            return invalid.Message;
        }
    }

    [GeneratedRegex("^[a-f0-9]{64}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex ImageId();

    [GeneratedRegex("^[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*\\z", RegexOptions.CultureInvariant)]
    private static partial Regex HostName();

    [GeneratedRegex("^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*\\z", RegexOptions.CultureInvariant)]
    private static partial Regex PathComponent();

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]*\\z", RegexOptions.CultureInvariant)]
    private static partial Regex TagGrammar();
}

using OrasAssemble.Content;

namespace OrasAssemble.Cli.Targets;

/// <summary>An opened store (a registry repository or an OCI layout) and the reference to act on in it.</summary>
internal sealed record ArtifactTarget(TargetReference Reference, ITarget Store)
{
    /// <summary>The tag or digest inside the store.</summary>
    public string ContentReference => Reference.ContentReference;
}

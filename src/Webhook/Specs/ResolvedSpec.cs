using OrasAssemble.Registry;

namespace OrasAssemble.Webhook.Specs;

/// <summary>What the webhook needs from a spec artifact, read from one manifest revision.</summary>
/// <param name="Reference">The spec as asked for, pinned to the digest it resolved to (a tag is kept for people to read).</param>
/// <param name="BaseImage">The spec's base image pinned by digest, or null when the spec has no base.</param>
/// <param name="MountPath">The spec's mount path, or null when the spec has no mount.</param>
internal sealed record ResolvedSpec(Reference Reference, string? BaseImage, string? MountPath)
{
    public string Digest => Reference.Digest!;
}

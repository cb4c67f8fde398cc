using OrasAssemble.Registry.Auth;

namespace OrasAssemble.CsiNode.Credentials;

/// <summary>
/// The credentials a volume uses, and their <see cref="VolumeCredentials.Canonical"/> text (the secrets in clear, only
/// ever hashed): volumes with the same text share a registry client and their remembered reads.
/// </summary>
internal sealed record VolumeCredentialChoice(ICredentialProvider Provider, string Canonical)
{
    // The canonical text holds secrets: never print it.
    public override string ToString() => nameof(VolumeCredentialChoice);
}

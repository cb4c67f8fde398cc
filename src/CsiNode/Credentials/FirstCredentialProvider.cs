using OrasAssemble.Registry.Auth;

namespace OrasAssemble.CsiNode.Credentials;

/// <summary>For each registry, the credential of the first provider that has one, in the order given (a pod's pull secrets).</summary>
internal sealed class FirstCredentialProvider(IReadOnlyList<ICredentialProvider> providers) : ICredentialProvider
{
    public async Task<Credential> GetAsync(string registry, CancellationToken cancellationToken = default)
    {
        foreach (var provider in providers)
        {
            var credential = await provider.GetAsync(registry, cancellationToken).ConfigureAwait(false);
            if (!credential.IsEmpty)
            {
                return credential;
            }
        }

        return Credential.Empty;
    }
}

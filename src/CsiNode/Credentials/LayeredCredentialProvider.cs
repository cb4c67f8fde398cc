using OrasAssemble.Registry.Auth;

namespace OrasAssemble.CsiNode.Credentials;

/// <summary>The volume's own credential for a registry when it has one, else the node's, else anonymous.</summary>
internal sealed class LayeredCredentialProvider(ICredentialProvider volume, ICredentialProvider? node) : ICredentialProvider
{
    public async Task<Credential> GetAsync(string registry, CancellationToken cancellationToken = default)
    {
        var own = await volume.GetAsync(registry, cancellationToken).ConfigureAwait(false);
        if (!own.IsEmpty || node is null)
        {
            return own;
        }

        return await node.GetAsync(registry, cancellationToken).ConfigureAwait(false);
    }
}

using OrasAssemble.CsiNode.Publishing;
using OrasAssemble.Failures;
using OrasAssemble.Registry.Auth;

namespace OrasAssemble.CsiNode.Credentials;

/// <summary>
/// The credentials a volume's registry requests are made with: its <c>nodePublishSecretRef</c> secret when kubelet
/// passed one; else, with <c>credentials.podPullSecrets</c> on, the pod's own pull secrets, in order for each
/// registry, and when the registry refuses them the same from the next secret on, as kubelet tries each pull secret in
/// turn; else none (the node's <c>--registry-config</c>, or anonymous).
/// </summary>
/// <param name="podSecrets">Null when <c>credentials.podPullSecrets</c> is off: then the API server is never asked.</param>
internal sealed class VolumeCredentialSource(PodPullSecretReader? podSecrets)
{
    private const string PodSecretsPrefix = "pod-pull-secrets\n";

    /// <param name="basicAuthRegistry">The registry a <c>username</c>/<c>password</c> secret is for, if the volume has one.</param>
    /// <returns>
    /// The choices to try in order, each only when the one before it was refused: one for a volume's own secret or
    /// none; for the pod's pull secrets, the secrets from the first on, then from the second on, and so on.
    /// </returns>
    /// <exception cref="VolumeException">A secret cannot be read as credentials, or the API server cannot be asked.</exception>
    public async Task<IReadOnlyList<VolumeCredentialChoice>> ChooseAsync(PublishRequest request, string? basicAuthRegistry, CancellationToken cancellationToken)
    {
        var attributes = request.Attributes;
        if (request.Secrets.Count > 0 || podSecrets is null)
        {
            return [Volume(request.Secrets, basicAuthRegistry, attributes.PlainHttp, attributes.Insecure)];
        }

        var secrets = await podSecrets.ReadAsync(request.Pod, cancellationToken).ConfigureAwait(false);
        if (secrets.Count == 0)
        {
            // The same caller as any other volume without a secret.
            return [Volume(request.Secrets, basicAuthRegistry, attributes.PlainHttp, attributes.Insecure)];
        }

        var providers = new List<ICredentialProvider>(secrets.Count);
        var canonicals = new List<string>(secrets.Count);
        foreach (var secret in secrets)
        {
            try
            {
                providers.Add(VolumeCredentials.FromSecrets(secret.Data, basicAuthRegistry: null));
            }
            catch (CredentialConfigException e)
            {
                throw new VolumeException(FailureKind.InvalidInput, $"image pull secret {request.Pod.Namespace}/{secret.Name}: {e.Message}", e);
            }

            canonicals.Add(VolumeCredentials.Canonical(secret.Data, basicAuthRegistry: null, attributes.PlainHttp, attributes.Insecure));
        }

        return [.. Enumerable.Range(0, secrets.Count).Select(first => new VolumeCredentialChoice(
            new FirstCredentialProvider(providers[first..]),
            PodSecretsPrefix + string.Concat(canonicals[first..].Select(c => c + "\n"))))];
    }

    private static VolumeCredentialChoice Volume(IReadOnlyDictionary<string, string> secrets, string? basicAuthRegistry, bool plainHttp, bool insecure)
    {
        ICredentialProvider credentials;
        try
        {
            credentials = VolumeCredentials.FromSecrets(secrets, basicAuthRegistry);
        }
        catch (CredentialConfigException e)
        {
            throw new VolumeException(FailureKind.InvalidInput, $"nodePublishSecretRef: {e.Message}", e);
        }

        return new VolumeCredentialChoice(credentials, VolumeCredentials.Canonical(secrets, basicAuthRegistry, plainHttp, insecure));
    }
}

using OrasAssemble.CsiNode.Publishing;
using OrasAssemble.Failures;
using OrasAssemble.Registry.Auth;

namespace OrasAssemble.CsiNode.Credentials;

/// <summary>
/// The credentials a volume's registry requests are made with: its <c>nodePublishSecretRef</c> secret when kubelet
/// passed one; else, with <c>credentials.podPullSecrets</c> on, the pod's own pull secrets, tried in order for each
/// registry; else none (the node's <c>--registry-config</c>, or anonymous).
/// </summary>
/// <param name="podSecrets">Null when <c>credentials.podPullSecrets</c> is off: then the API server is never asked.</param>
internal sealed class VolumeCredentialSource(PodPullSecretReader? podSecrets)
{
    private const string PodSecretsPrefix = "pod-pull-secrets\n";

    /// <param name="basicAuthRegistry">The registry a <c>username</c>/<c>password</c> secret is for, if the volume has one.</param>
    /// <exception cref="VolumeException">A secret cannot be read as credentials, or the API server cannot be asked.</exception>
    public async Task<VolumeCredentialChoice> ChooseAsync(PublishRequest request, string? basicAuthRegistry, CancellationToken cancellationToken)
    {
        var attributes = request.Attributes;
        if (request.Secrets.Count > 0 || podSecrets is null)
        {
            return Volume(request.Secrets, basicAuthRegistry, attributes.PlainHttp, attributes.Insecure);
        }

        var secrets = await podSecrets.ReadAsync(request.Pod, cancellationToken).ConfigureAwait(false);
        if (secrets.Count == 0)
        {
            // The same caller as any other volume without a secret.
            return Volume(request.Secrets, basicAuthRegistry, attributes.PlainHttp, attributes.Insecure);
        }

        var providers = new List<ICredentialProvider>(secrets.Count);
        var canonical = new System.Text.StringBuilder(PodSecretsPrefix);
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

            canonical.Append(VolumeCredentials.Canonical(secret.Data, basicAuthRegistry: null, attributes.PlainHttp, attributes.Insecure)).Append('\n');
        }

        return new VolumeCredentialChoice(new FirstCredentialProvider(providers), canonical.ToString());
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

using System.Net;
using System.Text;
using k8s;
using k8s.Autorest;
using k8s.Models;
using OrasAssemble.CsiNode.Configuration;
using OrasAssemble.CsiNode.Publishing;
using OrasAssemble.Failures;
using OrasAssemble.Registry.Auth;
using OrasAssemble.Settings;

namespace OrasAssemble.CsiNode.Credentials;

/// <summary>
/// A pod's image pull secrets, read from the API server as kubelet would use them: the pod's <c>imagePullSecrets</c>,
/// then its service account's (<c>default</c> when the pod names none), each read from the pod's own namespace only.
/// Secrets that are missing or not of a docker config type are passed over, as kubelet does. Every read is bounded by
/// <see cref="CredentialSettings.ApiTimeout"/>; answers are kept in memory for <see cref="CredentialSettings.CacheFor"/>.
/// </summary>
internal sealed class PodPullSecretReader : IDisposable
{
    /// <summary>The most pull secrets one pod's volume tries; more is surely a mistake, and each costs an API read.</summary>
    public const int MaxSecrets = 32;

    private const int CacheEntries = 4096;
    private const string DockerConfigJsonType = "kubernetes.io/dockerconfigjson";
    private const string DockerCfgType = "kubernetes.io/dockercfg";

    private readonly IKubernetes _client;
    private readonly TimeSpan _timeout;
    private readonly ExpiringCache<(string Namespace, string Name, string? Uid), PodSecrets> _pods;
    private readonly ExpiringCache<(string Namespace, string Name), IReadOnlyList<string>> _accounts;
    private readonly ExpiringCache<(string Namespace, string Name), PullSecret?> _secrets;

    public PodPullSecretReader(IKubernetes client, CredentialSettings settings, TimeProvider time)
    {
        _client = client;
        _timeout = settings.ApiTimeout;
        _pods = new(settings.CacheFor, CacheEntries, time);
        _accounts = new(settings.CacheFor, CacheEntries, time);
        _secrets = new(settings.CacheFor, CacheEntries, time);
    }

    /// <summary>The pod's pull secrets in the order they are tried; empty when it has none.</summary>
    /// <exception cref="VolumeException">
    /// <see cref="FailureKind.InvalidInput"/> without pod info, or when a secret cannot be read as credentials;
    /// <see cref="FailureKind.Unavailable"/> when the API server does not answer in time, cannot be reached, or refuses.
    /// </exception>
    public async Task<IReadOnlyList<PullSecret>> ReadAsync(PodInfo pod, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(pod.Namespace) || string.IsNullOrEmpty(pod.Name))
        {
            throw new VolumeException(FailureKind.InvalidInput,
                $"credentials.podPullSecrets needs the pod's name and namespace, but the volume context has no {VolumeContextKeys.PodNamespace} or {VolumeContextKeys.PodName}: the CSIDriver object must set podInfoOnMount: true");
        }

        var (ns, name) = (pod.Namespace, pod.Name);
        var found = await _pods.GetOrAddAsync((ns, name, pod.Uid), () => ReadPodAsync(ns, name, pod.Uid), cancellationToken).ConfigureAwait(false);
        var names = new List<string>(found.PullSecrets);
        var accountSecrets = await _accounts.GetOrAddAsync((ns, found.ServiceAccount), () => ReadAccountAsync(ns, found.ServiceAccount), cancellationToken).ConfigureAwait(false);
        names.AddRange(accountSecrets);
        names = [.. names.Distinct(StringComparer.Ordinal)];
        if (names.Count > MaxSecrets)
        {
            throw new VolumeException(FailureKind.InvalidInput,
                $"pod {ns}/{name} and its service account {found.ServiceAccount} name {names.Count} image pull secrets; at most {MaxSecrets} are tried");
        }

        var secrets = await Task.WhenAll(names.Select(secret =>
            _secrets.GetOrAddAsync((ns, secret), () => ReadSecretAsync(ns, secret), cancellationToken))).ConfigureAwait(false);
        return [.. secrets.OfType<PullSecret>()];
    }

    public void Dispose() => _client.Dispose();

    private async Task<PodSecrets> ReadPodAsync(string ns, string name, string? uid)
    {
        // Not found is not remembered: kubelet retries, and the pod may be visible by then.
        var pod = await ReadAsync($"pod {ns}/{name}", token => _client.CoreV1.ReadNamespacedPodAsync(name, ns, cancellationToken: token)).ConfigureAwait(false)
            ?? throw new VolumeException(FailureKind.Unavailable, $"pod {ns}/{name} is not known to the API server {_client.BaseUri}, so its pull secrets cannot be read");

        if (uid is not null && pod.Metadata?.Uid is { } current && current != uid)
        {
            throw new VolumeException(FailureKind.Unavailable, $"pod {ns}/{name} in the API server {_client.BaseUri} is another pod (uid {current}, the volume is for {uid})");
        }

        var account = pod.Spec?.ServiceAccountName is { Length: > 0 } named ? named : "default";
        return new PodSecrets(Names(pod.Spec?.ImagePullSecrets), account);
    }

    private async Task<IReadOnlyList<string>> ReadAccountAsync(string ns, string name)
    {
        var account = await ReadAsync($"service account {ns}/{name}", token => _client.CoreV1.ReadNamespacedServiceAccountAsync(name, ns, cancellationToken: token)).ConfigureAwait(false);

        // A missing service account has no secrets to offer; the pod's own still count.
        return account is null ? [] : Names(account.ImagePullSecrets);
    }

    private async Task<PullSecret?> ReadSecretAsync(string ns, string name)
    {
        var secret = await ReadAsync($"secret {ns}/{name}", token => _client.CoreV1.ReadNamespacedSecretAsync(name, ns, cancellationToken: token)).ConfigureAwait(false);
        var key = secret?.Type switch
        {
            DockerConfigJsonType => KubernetesSecretCredentials.DockerConfigJsonKey,
            DockerCfgType => KubernetesSecretCredentials.DockerCfgKey,
            _ => null,
        };
        if (key is null || secret!.Data?.TryGetValue(key, out var value) != true || value is null)
        {
            return null;
        }

        return new PullSecret(name, new Dictionary<string, string>(StringComparer.Ordinal) { [key] = Encoding.UTF8.GetString(value) });
    }

    /// <summary>One read, within the timeout; null when the object does not exist.</summary>
    private async Task<T?> ReadAsync<T>(string what, Func<CancellationToken, Task<T>> read)
        where T : class
    {
        using var deadline = new CancellationTokenSource(_timeout);
        try
        {
            return await read(deadline.Token).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
        {
            throw Unavailable(what, $"{(int)e.Response.StatusCode} {e.Response.ReasonPhrase}; the node plugin's service account needs get on pods, serviceaccounts and secrets (deploy/csi/components/pod-pull-secrets)", e);
        }
        catch (HttpOperationException e)
        {
            throw Unavailable(what, $"{(int)e.Response.StatusCode} {e.Response.ReasonPhrase}", e);
        }
        catch (OperationCanceledException e) when (deadline.IsCancellationRequested)
        {
            throw Unavailable(what, $"no answer within {SettingsDuration.Format(_timeout)} (credentials.apiTimeout)", e);
        }
        catch (HttpRequestException e)
        {
            throw Unavailable(what, e.Message, e);
        }
    }

    private VolumeException Unavailable(string what, string reason, Exception inner) =>
        new(FailureKind.Unavailable, $"cannot read {what} from the API server {_client.BaseUri} for the pod's pull secrets: {reason}", inner);

    private static List<string> Names(IList<V1LocalObjectReference>? references) =>
        [.. (references ?? []).Select(r => r.Name).Where(n => !string.IsNullOrEmpty(n))];

    private sealed record PodSecrets(IReadOnlyList<string> PullSecrets, string ServiceAccount);
}

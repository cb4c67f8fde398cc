using System.Net;
using k8s;
using k8s.Autorest;

namespace OrasAssemble.Webhook.PullSecrets;

/// <summary>
/// Reads a service account's <c>imagePullSecrets</c> from the API server with KubernetesClient, each read bounded by
/// <paramref name="timeout"/>. The webhook needs <c>get serviceaccounts</c> for it and nothing else.
/// </summary>
internal sealed class ServiceAccountReader(IKubernetes client, TimeSpan timeout) : IDisposable
{
    /// <summary>The first pull secret the service account names, or null when it names none or does not exist.</summary>
    /// <exception cref="ServiceAccountReadException">No answer within the timeout, no connection, or any other refusal.</exception>
    public async Task<string?> FirstPullSecretAsync(string @namespace, string name, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var what = $"service account {@namespace}/{name}";
        try
        {
            var account = await client.CoreV1.ReadNamespacedServiceAccountAsync(name, @namespace, cancellationToken: deadline.Token).ConfigureAwait(false);
            return account.ImagePullSecrets?.Select(s => s.Name).FirstOrDefault(n => !string.IsNullOrEmpty(n));
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            // The API server refuses a pod whose service account is missing; until then there is nothing to hand on.
            return null;
        }
        catch (HttpOperationException e)
        {
            throw new ServiceAccountReadException($"cannot read {what} from the API server: {(int)e.Response.StatusCode} {e.Response.ReasonPhrase}", e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ServiceAccountReadException($"cannot read {what} from the API server: no answer within {Settings.SettingsDuration.Format(timeout)}", e);
        }
        catch (HttpRequestException e)
        {
            throw new ServiceAccountReadException($"cannot read {what} from the API server: {e.Message}", e);
        }
    }

    public void Dispose() => client.Dispose();
}

using System.Text.RegularExpressions;
using OrasAssemble.Text;
using OrasAssemble.Webhook.Admission;
using OrasAssemble.Webhook.Mutation;
using OrasAssemble.Webhook.Pods;

namespace OrasAssemble.Webhook.PullSecrets;

/// <summary>
/// Chooses the secret the injected volume names in <c>nodePublishSecretRef</c>: the one the
/// <see cref="PodAnnotations.PullSecret"/> annotation names, else the pod's first <c>imagePullSecrets</c> entry, else
/// the first of its service account's (read from the API server; skipped when the webhook has none to ask).
/// </summary>
/// <param name="serviceAccounts">Null when the webhook runs outside a cluster with no API server configured.</param>
internal sealed partial class PullSecretSelector(ServiceAccountReader? serviceAccounts, FailurePolicy failurePolicy)
{
    public const string DefaultServiceAccount = "default";

    /// <summary>The annotation's secret name, checked; null when the pod has no such annotation.</summary>
    /// <exception cref="PodRejectedException">The annotation is not a secret name.</exception>
    public static string? AnnotatedSecret(Pod pod)
    {
        if (pod.Annotation(PodAnnotations.PullSecret) is not { } text)
        {
            return null;
        }

        var name = text.Trim();
        return SecretName().IsMatch(name)
            ? name
            : throw new PodRejectedException(
                $"annotation {PodAnnotations.PullSecret} is {QuotedValue.Of(text)}, which is not a secret name (lowercase letters, digits, '-' and '.', at most 253)");
    }

    /// <exception cref="PodRejectedException">The annotation is not a secret name.</exception>
    /// <exception cref="ServiceAccountReadException">The service account could not be read and the failure policy is Fail.</exception>
    public async Task<PullSecretChoice> ChooseAsync(Pod pod, string @namespace, CancellationToken cancellationToken)
    {
        if (AnnotatedSecret(pod) is { } annotated)
        {
            return new PullSecretChoice(annotated, PullSecretSource.Annotation);
        }

        if (pod.Spec?.ImagePullSecrets?.Select(s => s.Name).FirstOrDefault(n => !string.IsNullOrEmpty(n)) is { } own)
        {
            return new PullSecretChoice(own, PullSecretSource.Pod);
        }

        if (serviceAccounts is null)
        {
            return PullSecretChoice.None;
        }

        var account = pod.Spec?.ServiceAccountName is { Length: > 0 } named ? named : DefaultServiceAccount;
        try
        {
            return await serviceAccounts.FirstPullSecretAsync(@namespace, account, cancellationToken).ConfigureAwait(false) is { } secret
                ? new PullSecretChoice(secret, PullSecretSource.ServiceAccount)
                : PullSecretChoice.None;
        }
        catch (ServiceAccountReadException e) when (failurePolicy == FailurePolicy.Ignore)
        {
            return PullSecretChoice.None with { Warning = e.Message };
        }
    }

    // A DNS subdomain (RFC 1123), which is what Kubernetes allows as a secret name.
    [GeneratedRegex("^(?=.{1,253}\\z)[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*\\z", RegexOptions.CultureInvariant)]
    private static partial Regex SecretName();
}

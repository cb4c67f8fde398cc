using Microsoft.Extensions.Logging;
using OrasAssemble.Webhook.Specs;

namespace OrasAssemble.Webhook.Logging;

/// <summary>
/// Every log line the webhook writes. Event ids are stable (1xxx serving, 2xxx admission, 3xxx specs): alerts and
/// dashboards may key on them. Nothing here takes credentials; references and messages carry none.
/// </summary>
internal static partial class WebhookLog
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Serving /mutate, /healthz, /readyz and /metrics over HTTPS on {Address}; failure policy {FailurePolicy}")]
    public static partial void Listening(this ILogger logger, string address, string failurePolicy);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Serving certificate loaded: {Subject}, valid until {NotAfter:u}, SHA-256 {Thumbprint}")]
    public static partial void CertificateLoaded(this ILogger logger, string subject, DateTimeOffset notAfter, string thumbprint);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Serving certificate files changed but cannot be loaded; still serving the previous certificate: {Reason}")]
    public static partial void CertificateReloadFailed(this ILogger logger, string reason);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Error, Message = "Unexpected error serving {Method} {Path}")]
    public static partial void RequestFailed(this ILogger logger, Exception exception, string method, string path);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Pod {Namespace}/{Pod}: wired {Wired} ({Operations} patch operations)")]
    public static partial void PodMutated(this ILogger logger, string @namespace, string pod, string wired, int operations);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Pod {Namespace}/{Pod}: already wired to {Wired}; nothing to change")]
    public static partial void PodUnchanged(this ILogger logger, string @namespace, string pod, string wired);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Debug, Message = "Admission {Uid} skipped: {Reason}")]
    public static partial void AdmissionSkipped(this ILogger logger, string uid, string reason);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Information, Message = "Pod {Namespace}/{Pod} refused: {Reason}")]
    public static partial void PodDenied(this ILogger logger, string @namespace, string pod, string reason);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Warning, Message = "Pod {Namespace}/{Pod} admitted without its assembled volume (failure policy Ignore): {Reason}")]
    public static partial void PodAdmittedUnwired(this ILogger logger, string @namespace, string pod, string reason);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Warning, Message = "Malformed admission review: {Reason}")]
    public static partial void ReviewMalformed(this ILogger logger, string reason);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Error, Message = "Unexpected error admitting pod {Namespace}/{Pod} (review {Uid})")]
    public static partial void AdmissionFailed(this ILogger logger, Exception exception, string @namespace, string pod, string uid);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Warning, Message = "Pod {Namespace}/{Pod}: its volume gets no nodePublishSecretRef (failure policy Ignore): {Reason}")]
    public static partial void PullSecretUnread(this ILogger logger, string @namespace, string pod, string reason);

    [LoggerMessage(EventId = 2009, Level = LogLevel.Debug, Message = "Pod {Namespace}/{Pod}: volume's nodePublishSecretRef is {Secret} (from {Source})")]
    public static partial void PullSecretChosen(this ILogger logger, string @namespace, string pod, string? secret, string source);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "Not in a cluster and no --api-server: injected volumes never take the service account's pull secrets")]
    public static partial void NoApiServer(this ILogger logger);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Debug, Message = "Spec {Spec} resolved to {Digest} (summary cached: {Cached}) in {Milliseconds:0} ms")]
    public static partial void SpecResolved(this ILogger logger, string spec, string digest, bool cached, double milliseconds);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Spec {Spec} not resolved ({Failure}): {Reason}")]
    public static partial void SpecResolutionFailed(this ILogger logger, string spec, SpecResolutionFailure failure, string reason);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Retrying {Target} from {Registry}, attempt {Attempt} of {MaxAttempts}, after {Cause}")]
    public static partial void RegistryRetry(this ILogger logger, string target, string registry, int attempt, int maxAttempts, string cause);
}

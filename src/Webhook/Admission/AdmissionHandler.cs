using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using OrasAssemble.Text;
using OrasAssemble.Webhook.Logging;
using OrasAssemble.Webhook.Metrics;
using OrasAssemble.Webhook.Mutation;
using OrasAssemble.Webhook.Patching;
using OrasAssemble.Webhook.Pods;
using OrasAssemble.Webhook.PullSecrets;
using OrasAssemble.Webhook.Specs;

namespace OrasAssemble.Webhook.Admission;

/// <summary>
/// Answers one <c>AdmissionReview</c>: reads it, decides, and builds the review to send back. The one place where
/// everything that can go wrong becomes an answer the API server understands: a denial with a reason, an allowed
/// response with a warning, or (only for a body that is not a review at all) HTTP 400 with a review explaining why.
/// </summary>
internal sealed class AdmissionHandler
{
    private readonly PodMutator mutator;
    private readonly SpecResolver resolver;
    private readonly PullSecretSelector pullSecrets;
    private readonly AdmissionPolicy policy;
    private readonly WebhookMetrics metrics;
    private readonly ILogger<AdmissionHandler> logger;

    public AdmissionHandler(
        PodMutator mutator, SpecResolver resolver, PullSecretSelector pullSecrets, AdmissionPolicy policy, WebhookMetrics metrics, ILogger<AdmissionHandler> logger)
    {
        this.mutator = mutator;
        this.resolver = resolver;
        this.pullSecrets = pullSecrets;
        this.policy = policy;
        this.metrics = metrics;
        this.logger = logger;
    }

    public async Task<AdmissionResult> HandleAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var result = await DecideAsync(body, cancellationToken).ConfigureAwait(false);
        metrics.Admitted(result.Outcome, Stopwatch.GetElapsedTime(started));
        return result;
    }

    /// <summary>The answer to a request whose body could not even be read (too large, cut off).</summary>
    public AdmissionResult RejectBody(string reason, int statusCode)
    {
        var result = Malformed(reason, statusCode);
        metrics.Admitted(result.Outcome, TimeSpan.Zero);
        return result;
    }

    /// <summary>The answer to a request that is not a readable admission review: HTTP 400 (or <paramref name="statusCode"/>) with a review saying why.</summary>
    private AdmissionResult Malformed(string reason, int statusCode = (int)HttpStatusCode.BadRequest)
    {
        logger.ReviewMalformed(reason);
        var response = Denied("", statusCode, statusCode == StatusCodes.Status413PayloadTooLarge ? "RequestEntityTooLarge" : "BadRequest", reason);
        return new AdmissionResult(statusCode, AdmissionReview.For(response), AdmissionOutcome.Malformed);
    }

    private async Task<AdmissionResult> DecideAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        AdmissionReview? review;
        try
        {
            review = JsonSerializer.Deserialize<AdmissionReview>(body.Span, AdmissionJson.Options);
        }
        catch (JsonException e)
        {
            return Malformed($"the body is not an AdmissionReview: {QuotedValue.Bare(e.Message)}");
        }

        if (review is null || review.ApiVersion != AdmissionReview.V1 || review.Kind != AdmissionReview.ReviewKind)
        {
            return Malformed(
                $"expected apiVersion {AdmissionReview.V1} and kind {AdmissionReview.ReviewKind}, got apiVersion " +
                $"{QuotedValue.Of(review?.ApiVersion)} and kind {QuotedValue.Of(review?.Kind)}; list only v1 in the webhook's admissionReviewVersions");
        }

        if (review.Request is not { Uid: { Length: > 0 } uid } request)
        {
            return Malformed("the review has no request.uid");
        }

        if (request.Operation != "CREATE" || request.Kind?.IsCorePod != true || !string.IsNullOrEmpty(request.SubResource))
        {
            var what = request.Kind?.Kind + (string.IsNullOrEmpty(request.SubResource) ? "" : "/" + request.SubResource);
            return Skipped(uid, $"{request.Operation} of {what} is not a pod creation");
        }

        if (request.Object is not { ValueKind: JsonValueKind.Object } json)
        {
            return Refused(uid, 400, "BadRequest", "request.object is missing or not a JSON object", AdmissionOutcome.Malformed);
        }

        Pod pod;
        try
        {
            pod = json.Deserialize<Pod>(AdmissionJson.Options) ?? throw new JsonException("the pod is null");
        }
        catch (JsonException e)
        {
            return Refused(uid, 400, "BadRequest", $"request.object is not a valid Pod: {QuotedValue.Bare(e.Message)}", AdmissionOutcome.Malformed);
        }

        try
        {
            return await AdmitAsync(uid, request, pod, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger.AdmissionFailed(e, Namespace(request, pod), pod.DisplayName, uid);
            var reason = $"internal error in the oras-assemble webhook: {e.GetType().Name}: {e.Message}";
            return policy.FailurePolicy == FailurePolicy.Ignore
                ? new AdmissionResult(200, AdmissionReview.For(AllowedWithWarning(uid, reason)), AdmissionOutcome.Error)
                : new AdmissionResult(200, AdmissionReview.For(Denied(uid, 500, "InternalError", reason)), AdmissionOutcome.Error);
        }
    }

    private async Task<AdmissionResult> AdmitAsync(string uid, AdmissionRequest request, Pod pod, CancellationToken cancellationToken)
    {
        var ns = Namespace(request, pod);
        if (!policy.Serves(ns))
        {
            return Skipped(uid, $"namespace {QuotedValue.Of(ns)} is not served by this webhook");
        }

        AssemblyRequest? assembly;
        ResolvedSpec? spec = null;
        var pullSecret = PullSecretChoice.None;
        IReadOnlyList<PatchOperation> operations;
        try
        {
            assembly = AssemblyRequest.FromPod(pod);
            if (assembly is null)
            {
                return Skipped(uid, $"pod {ns}/{pod.DisplayName} has no {PodAnnotations.Spec} or {PodAnnotations.Outputs} annotation");
            }

            // A pull-secret annotation that is not a secret name refuses the pod before the registry is asked.
            _ = PullSecretSelector.AnnotatedSecret(pod);
            if (mutator.ReferenceToResolve(pod, assembly) is { } toResolve)
            {
                spec = await resolver.ResolveAsync(toResolve, cancellationToken).ConfigureAwait(false);
            }

            // Only a volume being added gets a secret ref, so a pod admitted again needs no API server call.
            if (mutator.AddsVolume(pod, assembly))
            {
                pullSecret = await pullSecrets.ChooseAsync(pod, ns, cancellationToken).ConfigureAwait(false);
                logger.PullSecretChosen(ns, pod.DisplayName, pullSecret.Name, pullSecret.Source.ToString());
                if (pullSecret.Warning is { } reason)
                {
                    logger.PullSecretUnread(ns, pod.DisplayName, reason);
                }
            }

            operations = mutator.Mutate(pod, assembly, spec, pullSecret.Name);
        }
        catch (ServiceAccountReadException e)
        {
            // Only under failure policy Fail: with Ignore the selector admits the volume without a secret ref.
            logger.PodDenied(ns, pod.DisplayName, e.Message);
            return Refused(uid, 503, "ServiceUnavailable", e.Message, AdmissionOutcome.Denied);
        }
        catch (PodRejectedException e)
        {
            logger.PodDenied(ns, pod.DisplayName, e.Message);
            return Refused(uid, 403, "Forbidden", e.Message, AdmissionOutcome.Denied);
        }
        catch (SpecResolutionException e) when (e.Failure == SpecResolutionFailure.Invalid)
        {
            logger.PodDenied(ns, pod.DisplayName, e.Message);
            return Refused(uid, 403, "Forbidden", e.Message, AdmissionOutcome.Denied);
        }
        catch (SpecResolutionException e)
        {
            if (policy.FailurePolicy == FailurePolicy.Ignore)
            {
                logger.PodAdmittedUnwired(ns, pod.DisplayName, e.Message);
                var warning = $"admitted without the assembled volume of {PodAnnotations.Spec} (the webhook's failure policy is Ignore): {e.Message}";
                return new AdmissionResult(200, AdmissionReview.For(AllowedWithWarning(uid, warning)), AdmissionOutcome.FailedOpen);
            }

            logger.PodDenied(ns, pod.DisplayName, e.Message);
            return Refused(uid, 503, "ServiceUnavailable", e.Message, AdmissionOutcome.Denied);
        }

        var wired = Describe(assembly, spec);
        if (operations.Count == 0)
        {
            logger.PodUnchanged(ns, pod.DisplayName, wired);
            return new AdmissionResult(200, AdmissionReview.For(new AdmissionResponse { Uid = uid, Allowed = true }), AdmissionOutcome.Unchanged);
        }

        logger.PodMutated(ns, pod.DisplayName, wired, operations.Count);
        var response = new AdmissionResponse
        {
            Uid = uid,
            Allowed = true,
            PatchType = AdmissionResponse.JsonPatchType,
            Patch = Convert.ToBase64String(JsonPatch.Serialize(operations)),
            Warnings = pullSecret.Warning is { } unread
                ? [$"{(assembly.Outputs.Count == 0 ? $"the {PodMutator.VolumeName} volume has" : "the volumes the webhook added have")} no nodePublishSecretRef (the webhook's failure policy is Ignore): {unread}"]
                : null,
        };
        return new AdmissionResult(200, AdmissionReview.For(response), AdmissionOutcome.Mutated);
    }

    // For the log: "spec R at /app, outputs /results=R2".
    private static string Describe(AssemblyRequest assembly, ResolvedSpec? spec)
    {
        var parts = new List<string>(2);
        if (spec is not null)
        {
            parts.Add($"spec {spec.Reference} at {assembly.MountPath ?? spec.MountPath}");
        }

        if (assembly.Outputs.Count > 0)
        {
            parts.Add("outputs " + string.Join(", ", assembly.Outputs.Select(o => $"{o.MountPath}={o.Reference}")));
        }

        return string.Join(", ", parts);
    }

    private AdmissionResult Skipped(string uid, string reason)
    {
        logger.AdmissionSkipped(uid, reason);
        return new AdmissionResult(200, AdmissionReview.For(new AdmissionResponse { Uid = uid, Allowed = true }), AdmissionOutcome.Skipped);
    }

    private static AdmissionResult Refused(string uid, int code, string reason, string message, AdmissionOutcome outcome) =>
        new(200, AdmissionReview.For(Denied(uid, code, reason, message)), outcome);

    private static AdmissionResponse Denied(string uid, int code, string reason, string message) => new()
    {
        Uid = uid,
        Allowed = false,
        Status = new AdmissionStatus { Code = code, Reason = reason, Message = message },
    };

    private static AdmissionResponse AllowedWithWarning(string uid, string warning) => new()
    {
        Uid = uid,
        Allowed = true,
        Warnings = [warning],
    };

    // A pod from a controller often has no namespace in its own metadata yet; the request always says.
    private static string Namespace(AdmissionRequest request, Pod pod) =>
        request.Namespace is { Length: > 0 } ns ? ns : pod.Metadata?.Namespace ?? "";
}

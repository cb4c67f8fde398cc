using System.Diagnostics;
using Microsoft.Extensions.Logging;
using OrasAssemble.Content;
using OrasAssemble.Failures;
using OrasAssemble.Oci;
using OrasAssemble.Registry;
using OrasAssemble.Registry.Auth;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Spec;
using OrasAssemble.Spec.Model;
using OrasAssemble.Spec.Parsing;
using OrasAssemble.Spec.Validation;
using OrasAssemble.SpecArtifacts;
using OrasAssemble.Text;
using OrasAssemble.Webhook.Logging;
using OrasAssemble.Webhook.Metrics;

namespace OrasAssemble.Webhook.Specs;

/// <summary>
/// Turns a spec reference into the revision it names now: the tag is resolved to a digest at the registry on every
/// call (so a pod gets the revision current when it is admitted), and what that digest's manifest says is cached.
/// The manifest's annotations are enough when they say both base and mount path; otherwise the spec layer is read
/// (both by <see cref="SpecArtifactReader"/>).
/// Every call is bounded by <see cref="SpecResolverOptions.Timeout"/>.
/// </summary>
internal sealed class SpecResolver
{
    private readonly RegistryClient client;
    private readonly SpecResolverOptions options;
    private readonly TimeProvider time;
    private readonly SpecCache cache;
    private readonly WebhookMetrics metrics;
    private readonly ILogger<SpecResolver> logger;

    public SpecResolver(RegistryClient client, SpecResolverOptions options, TimeProvider time, WebhookMetrics metrics, ILogger<SpecResolver> logger)
    {
        this.client = client;
        this.options = options;
        this.time = time;
        this.metrics = metrics;
        this.logger = logger;
        cache = new SpecCache(time, options.CacheTtl, options.MaxCacheEntries);
    }

    /// <exception cref="SpecResolutionException">The spec cannot be resolved; <see cref="SpecResolutionException.Failure"/> says whose problem that is.</exception>
    public async Task<ResolvedSpec> ResolveAsync(Reference reference, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var started = Stopwatch.GetTimestamp();
        using var timeout = new CancellationTokenSource(options.Timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            var repository = client.GetRepository(reference);
            var digest = reference.Digest
                ?? (await repository.ResolveAsync(reference.ContentReference, linked.Token).ConfigureAwait(false)).Digest;
            var pinned = reference.WithDigest(digest);
            var (summary, cached) = await cache.GetOrLoadAsync(
                $"{pinned.Registry}/{pinned.Repository}@{digest}", () => LoadAsync(repository, pinned), linked.Token).ConfigureAwait(false);

            metrics.SpecResolved(cached ? SpecResolutionResult.Cached : SpecResolutionResult.Fetched);
            logger.SpecResolved(reference.ToString(), digest, cached, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return new ResolvedSpec(pinned, summary.BaseImage, summary.MountPath);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            var failure = Translate(e, reference, timeout.IsCancellationRequested);
            metrics.SpecResolved(failure.Failure == SpecResolutionFailure.Invalid ? SpecResolutionResult.Invalid : SpecResolutionResult.Unavailable);
            logger.SpecResolutionFailed(reference.ToString(), failure.Failure, failure.Message);
            throw failure;
        }
    }

    // Runs once per revision, possibly for several admissions at once, so it has its own time limit rather than
    // the first caller's: one caller giving up must not fail the others.
    private async Task<SpecSummary> LoadAsync(Repository repository, Reference pinned)
    {
        using var timeout = new CancellationTokenSource(options.Timeout, time);
        try
        {
            return await ReadSummaryAsync(repository, pinned, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not SpecResolutionException)
        {
            throw Translate(e, pinned, timeout.IsCancellationRequested);
        }
    }

    private async Task<SpecSummary> ReadSummaryAsync(Repository repository, Reference pinned, CancellationToken cancellationToken)
    {
        var (descriptor, content) = await repository.FetchAsync(pinned.Digest!, cancellationToken).ConfigureAwait(false);
        byte[] bytes;
        await using (content.ConfigureAwait(false))
        {
            bytes = await ContentExtensions.ReadVerifiedAsync(content, descriptor, cancellationToken).ConfigureAwait(false);
        }

        var origin = pinned.ToString();
        var manifest = SpecArtifactReader.ReadManifest(descriptor, bytes, origin);
        var summary = await SpecArtifactReader.ReadSummaryAsync(repository, manifest, origin, cancellationToken).ConfigureAwait(false);

        // A base read from the spec layer (no annotation gave it) may be a tag: it is pinned to what it names now.
        var baseImage = summary.BaseImage is { } declared && manifest.Annotations?.ContainsKey(SpecArtifact.BaseAnnotation) != true
            ? await PinAsync(declared, pinned, cancellationToken).ConfigureAwait(false)
            : summary.BaseImage;
        return new SpecSummary(baseImage, summary.MountPath);
    }

    private async Task<string> PinAsync(string image, Reference spec, CancellationToken cancellationToken)
    {
        if (!Reference.TryParse(image, out var reference))
        {
            throw Invalid(spec, $"its base image {QuotedValue.Of(image)} is not a valid reference");
        }

        if (reference.Digest is not null)
        {
            return reference.ToString();
        }

        var descriptor = await client.GetRepository(reference).ResolveAsync(reference.ContentReference, cancellationToken).ConfigureAwait(false);
        return reference.WithDigest(descriptor.Digest).ToString();
    }

    private static SpecResolutionException Invalid(Reference spec, string problem) =>
        new(SpecResolutionFailure.Invalid, $"spec {spec} cannot be used: {problem}");

    private SpecResolutionException Translate(Exception e, Reference spec, bool timedOut)
    {
        if (e is SpecResolutionException resolution)
        {
            return resolution;
        }

        var kind = Failure.KindOf(e);
        return new SpecResolutionException(Whose(kind), Describe(e, kind, spec, timedOut), e);
    }

    /// <summary>The pod's problem (the failure policy does not apply) or the registry's (it does).</summary>
    private static SpecResolutionFailure Whose(FailureKind kind) => kind switch
    {
        FailureKind.InvalidInput or FailureKind.Unusable or FailureKind.NotFound or FailureKind.Limit => SpecResolutionFailure.Invalid,
        _ => SpecResolutionFailure.Unavailable,
    };

    private string Describe(Exception e, FailureKind kind, Reference spec, bool timedOut)
    {
        var prefix = $"cannot resolve spec {spec}";
        return kind switch
        {
            _ when timedOut && e is OperationCanceledException => $"{prefix}: registry {spec.Registry} did not answer within {Seconds(options.Timeout)}",
            FailureKind.InvalidInput when e is InvalidReferenceException => $"{prefix}: {e.Message}",
            FailureKind.InvalidInput when e is NotASpecArtifactException artifact => $"spec {spec} cannot be used: {artifact.Problem}",
            FailureKind.InvalidInput or FailureKind.Unusable or FailureKind.Limit => $"spec {spec} cannot be used: {e.Message}",
            FailureKind.NotFound => $"{prefix}: not found: {e.Message}",
            FailureKind.Unauthenticated or FailureKind.Denied => $"{prefix}: the registry refused the webhook's credentials: {e.Message}",
            FailureKind.Integrity => $"{prefix}: the registry served content that does not match its digest: {e.Message}",
            FailureKind.Configuration => $"{prefix}: cannot read the webhook's registry credentials: {e.Message}",
            FailureKind.Unavailable when e is CredentialHelperException => $"{prefix}: cannot read the webhook's registry credentials: {e.Message}",
            _ when e is HttpRequestException or IOException => $"{prefix}: cannot reach registry {spec.Registry}: {e.Message}",
            FailureKind.Unavailable => $"{prefix}: {e.Message}",
            _ => $"{prefix}: {e.GetType().Name}: {e.Message}",
        };
    }

    private static string Seconds(TimeSpan span) =>
        span.TotalSeconds >= 1 && span.TotalSeconds == Math.Floor(span.TotalSeconds)
            ? $"{span.TotalSeconds:0}s"
            : $"{span.TotalMilliseconds:0}ms";
}

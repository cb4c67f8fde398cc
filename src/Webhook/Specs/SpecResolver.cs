using System.Diagnostics;
using Microsoft.Extensions.Logging;
using OrasAssemble.Content;
using OrasAssemble.Oci;
using OrasAssemble.Registry;
using OrasAssemble.Registry.Auth;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Spec;
using OrasAssemble.Spec.Model;
using OrasAssemble.Spec.Parsing;
using OrasAssemble.Spec.Validation;
using OrasAssemble.Text;
using OrasAssemble.Webhook.Logging;
using OrasAssemble.Webhook.Metrics;

namespace OrasAssemble.Webhook.Specs;

/// <summary>
/// Turns a spec reference into the revision it names now: the tag is resolved to a digest at the registry on every
/// call (so a pod gets the revision current when it is admitted), and what that digest's manifest says is cached.
/// The manifest's annotations are enough when they say both base and mount path; otherwise the spec layer is read.
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

        if (!MediaTypes.IsManifest(descriptor.MediaType))
        {
            throw Invalid(pinned, $"it is a {descriptor.MediaType}, not an assembly spec artifact (an image manifest with artifactType {SpecArtifact.ArtifactType})");
        }

        var manifest = OciJson.Deserialize<Manifest>(bytes, $"the manifest of {pinned}");
        if (manifest.ArtifactType != SpecArtifact.ArtifactType)
        {
            var found = manifest.ArtifactType is null ? "no artifactType" : $"artifactType {manifest.ArtifactType}";
            throw Invalid(pinned, $"it is not an assembly spec: its manifest has {found}, expected {SpecArtifact.ArtifactType}");
        }

        string? baseImage = null;
        string? mountPath = null;
        manifest.Annotations?.TryGetValue(SpecArtifact.BaseAnnotation, out baseImage);
        manifest.Annotations?.TryGetValue(SpecArtifact.MountPathAnnotation, out mountPath);
        if (baseImage is null || mountPath is null)
        {
            // A spec pushed without the summary annotations (by an older or other tool): its layer says the rest.
            var spec = await ReadSpecLayerAsync(repository, pinned, manifest, cancellationToken).ConfigureAwait(false);
            if (baseImage is null && spec.Base is { } declared)
            {
                baseImage = await PinAsync(declared.Image, pinned, cancellationToken).ConfigureAwait(false);
            }

            mountPath ??= spec.Mount?.Path;
        }

        if (baseImage is not null && (!Reference.TryParse(baseImage, out var baseReference) || baseReference.Digest is null))
        {
            throw Invalid(pinned, $"its {SpecArtifact.BaseAnnotation} annotation {QuotedValue.Of(baseImage)} is not an image reference pinned by digest");
        }

        if (mountPath is not null && SpecPath.TreePathProblem(mountPath) is { } problem)
        {
            throw Invalid(pinned, $"its mount path is unusable: {problem}");
        }

        return new SpecSummary(baseImage, mountPath);
    }

    private async Task<AssemblySpec> ReadSpecLayerAsync(Repository repository, Reference pinned, Manifest manifest, CancellationToken cancellationToken)
    {
        var layers = manifest.Layers.Where(l => l.MediaType == SpecArtifact.LayerMediaType).ToList();
        if (layers.Count != 1)
        {
            throw Invalid(pinned, $"its manifest has {layers.Count} layers of media type {SpecArtifact.LayerMediaType}, expected exactly one");
        }

        var bytes = await repository.FetchAllAsync(layers[0], options.MaxSpecLayerBytes, cancellationToken).ConfigureAwait(false);
        return SpecJson.Deserialize(bytes, pinned.ToString()).Model;
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
        const SpecResolutionFailure invalid = SpecResolutionFailure.Invalid;
        const SpecResolutionFailure unavailable = SpecResolutionFailure.Unavailable;
        var prefix = $"cannot resolve spec {spec}";
        return e switch
        {
            SpecResolutionException resolution => resolution,
            OperationCanceledException when timedOut =>
                new(unavailable, $"{prefix}: registry {spec.Registry} did not answer within {Seconds(options.Timeout)}", e),
            InvalidReferenceException => new(invalid, $"{prefix}: {e.Message}", e),
            RegistryNotFoundException => new(invalid, $"{prefix}: not found: {e.Message}", e),
            RegistryAuthenticationException or RegistryAccessDeniedException =>
                new(unavailable, $"{prefix}: the registry refused the webhook's credentials: {e.Message}", e),
            RegistryException => new(unavailable, $"{prefix}: {e.Message}", e),
            InvalidSpecException => new(invalid, $"spec {spec} cannot be used: {e.Message}", e),
            SizeLimitExceededException or InvalidDataException => new(invalid, $"spec {spec} cannot be used: {e.Message}", e),
            ContentVerificationException => new(unavailable, $"{prefix}: the registry served content that does not match its digest: {e.Message}", e),
            CredentialConfigException or CredentialHelperException => new(unavailable, $"{prefix}: cannot read the webhook's registry credentials: {e.Message}", e),
            TimeoutException => new(unavailable, $"{prefix}: {e.Message}", e),
            HttpRequestException or IOException => new(unavailable, $"{prefix}: cannot reach registry {spec.Registry}: {e.Message}", e),
            _ => new(unavailable, $"{prefix}: {e.GetType().Name}: {e.Message}", e),
        };
    }

    private static string Seconds(TimeSpan span) =>
        span.TotalSeconds >= 1 && span.TotalSeconds == Math.Floor(span.TotalSeconds)
            ? $"{span.TotalSeconds:0}s"
            : $"{span.TotalMilliseconds:0}ms";
}

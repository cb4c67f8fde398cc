using System.Diagnostics;
using System.Runtime.ExceptionServices;
using OrasAssemble.Cache;
using OrasAssemble.Content;
using OrasAssemble.CsiNode.Configuration;
using OrasAssemble.CsiNode.Credentials;
using OrasAssemble.CsiNode.Metrics;
using OrasAssemble.CsiNode.Tenancy;
using OrasAssemble.Execution;
using OrasAssemble.Failures;
using OrasAssemble.Registry;
using OrasAssemble.Registry.Auth;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Spec;
using OrasAssemble.Spec.Parsing;
using OrasAssemble.Spec.Validation;
using OrasAssemble.Text;

namespace OrasAssemble.CsiNode.Publishing;

/// <summary>
/// Turns a volume's attributes into a tree in the node cache through the library's <see cref="TreeAssembler"/>: a
/// reference (a spec artifact, or any other artifact or image to extract whole) or an inline spec. What stays here is
/// the node's own: every registry request is made with the volume's own credentials, the namespace policy admits the
/// reference and the spec's sources, and with tenancy enforced a tree found in the cache is handed out only after those
/// credentials have read every manifest it was built from. A read those credentials made within
/// <c>tenancy.verifiedFor</c> counts (see <see cref="VerifiedAccess"/>), unless the volume's pull policy is <c>Always</c>.
/// </summary>
internal sealed class TreePreparer(
    TreeCache cache, RegistryClientPool clients, VolumeCredentialSource credentialSource, NamespacePolicy policy, VerifiedAccess verified,
    NodeConfig config, NodeMetrics metrics)
    : ITreePreparer
{
    private const string InlineOrigin = "volume attribute " + VolumeContextKeys.InlineSpec;

    private readonly TreeAssembler _assembler = new(cache);

    public async Task<IDisposable> HoldAsync(PreparedTree tree, CancellationToken cancellationToken)
    {
        var hold = await cache.HoldTreeAsync(tree.Key, cancellationToken).ConfigureAwait(false);
        if (cache.HasTree(tree.Key))
        {
            return hold;
        }

        hold.Dispose();
        throw new VolumeException(FailureKind.Pending, $"tree {tree.Key} was removed to make room just after it was found; the next attempt builds it again");
    }

    public async Task<PreparedTree> PrepareAsync(PublishRequest request, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var attributes = request.Attributes;
        if (attributes.PlainHttp && !config.Tenancy.AllowPlainHttp)
        {
            throw new VolumeException(FailureKind.Denied, $"volume attribute {VolumeContextKeys.PlainHttp}: this node does not allow plain HTTP per volume (tenancy.allowPlainHttp)");
        }

        if (attributes.Insecure && !config.Tenancy.AllowInsecure)
        {
            throw new VolumeException(FailureKind.Denied, $"volume attribute {VolumeContextKeys.Insecure}: this node does not allow skipping TLS verification per volume (tenancy.allowInsecure)");
        }

        var inline = attributes.InlineSpec is { } text ? ParseInline(text) : null;
        if (inline is not null)
        {
            RefuseLayoutSources(inline);
        }

        var basicAuthRegistry = attributes.Reference?.Registry ?? SingleRegistry(inline!);
        var choices = await credentialSource.ChooseAsync(request, basicAuthRegistry, cancellationToken).ConfigureAwait(false);
        ExceptionDispatchInfo? firstRefusal = null;
        foreach (var choice in choices)
        {
            try
            {
                return await PrepareWithAsync(request, inline, choice, started, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (choices.Count > 1 && IsRefusal(e))
            {
                // As kubelet does with a pod's pull secrets: the next one; if every one is refused, the first refusal.
                firstRefusal ??= ExceptionDispatchInfo.Capture(e);
            }
        }

        firstRefusal!.Throw();
        throw new UnreachableException();
    }

    /// <summary>A registry that refused the credentials, or hid what they may not read behind a 404; node policy is final.</summary>
    private static bool IsRefusal(Exception e) =>
        e is not VolumeException && Failure.KindOf(e) is FailureKind.Unauthenticated or FailureKind.Denied or FailureKind.NotFound;

    private async Task<PreparedTree> PrepareWithAsync(
        PublishRequest request, ValidSpec? inline, VolumeCredentialChoice choice, long started, CancellationToken cancellationToken)
    {
        var attributes = request.Attributes;
        var (credentials, canonical) = choice;
        var access = new Access(verified.CredentialsId(canonical), attributes.PullPolicy != PullPolicy.Always);
        using var lease = clients.Rent(VolumeCredentials.Fingerprint(canonical), () => credentials, attributes.PlainHttp, attributes.Insecure);
        using var pull = metrics.PullStarted();
        started = metrics.Phase(PublishPhase.Credentials, started);

        if (attributes.Reference is { } reference)
        {
            Authorize(request.Pod, reference);
            RefuseInvalidMediaTypes(attributes.MediaTypes);
        }

        var tree = await _assembler.AssembleAsync(
            new AssemblyRequest
            {
                Spec = attributes.Reference is null ? inline : null,
                Reference = attributes.Reference,
                MediaTypes = attributes.MediaTypes,
                Locator = new RegistryTargetLocator(lease.Client),
                Options = ExecutorOptionsFor(attributes),
                RememberedReads = new RememberedReads(verified, access.CredentialsId, access.UseRemembered),
                Admit = spec =>
                {
                    RefuseLayoutSources(spec);
                    foreach (var source in spec.Sources)
                    {
                        Authorize(request.Pod, source.Reference!);
                    }

                    started = metrics.Phase(PublishPhase.Resolve, started);
                },
            },
            config.Tenancy.Enforce ? new SourceAccess(this, lease.Client, access) : null,
            cancellationToken).ConfigureAwait(false);
        started = metrics.Phase(PublishPhase.Tree, started);
        foreach (var source in tree.Sources)
        {
            // Resolved just now with these credentials.
            verified.Record(access.CredentialsId, source.Reference, source.ManifestDigest);
        }

        if (tree.Built)
        {
            metrics.CacheMiss();
            metrics.SkippedSpecialFiles(tree.SkippedSpecialFiles);
        }
        else
        {
            metrics.CacheHit();
        }

        metrics.Phase(PublishPhase.Tenancy, started);
        return new PreparedTree(tree.Key, tree.Path, attributes.Describe(), tree.ManifestDigest, tree.Built);
    }

    /// <summary>
    /// Whether the volume's credentials read every source of a cached tree. Each is asked for as the spec names it, so a
    /// refusal names what the spec says and not the digest this node resolved it to. A source these credentials read
    /// within <c>tenancy.verifiedFor</c>, landing on the digest the tree was built from, is not asked for again.
    /// </summary>
    private async Task CheckAccessAsync(RegistryClient client, IReadOnlyList<TreeSource> sources, Access access, CancellationToken cancellationToken) =>
        await Task.WhenAll(sources.Select(async source =>
        {
            if (access.UseRemembered && verified.Holds(access.CredentialsId, source.Reference, source.ManifestDigest))
            {
                return;
            }

            var reference = Reference.Parse(source.Reference);
            var repository = client.GetRepository(reference);
            try
            {
                await repository.ResolveAsync(reference.ContentReference, cancellationToken).ConfigureAwait(false);
            }
            catch (NotFoundException) when (reference.Digest is null)
            {
                // The tag is gone but the repository answered: what the tree was built from must still be there.
                await repository.ResolveAsync(source.ManifestDigest, cancellationToken).ConfigureAwait(false);
            }

            verified.Record(access.CredentialsId, source.Reference, source.ManifestDigest);
        })).ConfigureAwait(false);

    private ExecutorOptions ExecutorOptionsFor(VolumeAttributes attributes) => new()
    {
        Concurrency = attributes.Concurrency ?? config.Limits.Concurrency,
        Limits = config.Limits.Extraction,
        PullPolicy = attributes.PullPolicy,
        Downloading = blob => metrics.Fetched(blob.Size),
    };

    private void Authorize(PodInfo pod, Reference reference)
    {
        if (policy.Refusal(pod.Namespace, reference) is { } refusal)
        {
            throw new VolumeException(FailureKind.Denied, refusal);
        }
    }

    /// <summary>Who the volume's registry requests speak for, and whether reads they made lately may stand in for new ones.</summary>
    private readonly record struct Access(string CredentialsId, bool UseRemembered);

    /// <summary>The tenancy check the assembler asks before it hands out a tree found by its pin.</summary>
    private sealed class SourceAccess(TreePreparer preparer, RegistryClient client, Access access) : IAccessCheck
    {
        public Task CheckAsync(IReadOnlyList<TreeSource> sources, CancellationToken cancellationToken) =>
            preparer.CheckAccessAsync(client, sources, access, cancellationToken);
    }

    /// <summary>Media types a whole artifact could not be filtered by, refused naming the volume attribute they came in.</summary>
    private static void RefuseInvalidMediaTypes(IReadOnlyList<string> mediaTypes)
    {
        if (WholeArtifactSpec.ValidateMediaTypes(mediaTypes) is { Count: > 0 } errors)
        {
            throw new VolumeException(FailureKind.InvalidInput,
                $"volume attribute {VolumeContextKeys.LayerMediaTypes}: {string.Join("; ", errors.Select(x => x.Message))}");
        }
    }

    private static ValidSpec ParseInline(string text)
    {
        try
        {
            return SpecDocument.Load(text).GetValidSpec(InlineOrigin);
        }
        catch (InvalidSpecException e)
        {
            throw new VolumeException(FailureKind.InvalidInput, e.Message, e);
        }
    }

    /// <summary>An <c>oci-layout://</c> source names a directory where the spec was written, not on this node.</summary>
    private static void RefuseLayoutSources(ValidSpec spec)
    {
        foreach (var source in spec.Sources)
        {
            if (source.Layout is not null)
            {
                throw new VolumeException(
                    FailureKind.InvalidInput,
                    $"sources.{source.Name}: {QuotedValue.Of(source.Ref)} names a local OCI layout; the node plugin reads registries only");
            }
        }
    }

    /// <summary>The one registry all of an inline spec's sources are on, which is where a username/password pair goes.</summary>
    private static string? SingleRegistry(ValidSpec spec)
    {
        var registries = spec.Sources.Select(s => s.Reference!.Registry).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        return registries.Count == 1 ? registries[0] : null;
    }
}

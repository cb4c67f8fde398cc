using System.Diagnostics;
using OrasAssemble.Cache;
using OrasAssemble.Content;
using OrasAssemble.CsiNode.Configuration;
using OrasAssemble.CsiNode.Credentials;
using OrasAssemble.CsiNode.Metrics;
using OrasAssemble.CsiNode.State;
using OrasAssemble.CsiNode.Tenancy;
using OrasAssemble.Execution;
using OrasAssemble.Failures;
using OrasAssemble.Layout;
using OrasAssemble.Oci;
using OrasAssemble.Registry;
using OrasAssemble.Registry.Auth;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Spec;
using OrasAssemble.Spec.Parsing;
using OrasAssemble.Spec.Validation;
using OrasAssemble.SpecArtifacts;
using OrasAssemble.Text;

namespace OrasAssemble.CsiNode.Publishing;

/// <summary>
/// Turns a volume's attributes into a tree in the node cache: a spec artifact is assembled by its spec, any other
/// artifact or image is extracted whole, an inline spec is assembled as written. Every registry request is made with
/// the volume's own credentials, and with tenancy enforced a tree found in the cache is handed out only after those
/// credentials have read every manifest it was built from. A read those credentials made within
/// <c>tenancy.verifiedFor</c> counts (see <see cref="VerifiedAccess"/>), unless the volume's pull policy is <c>Always</c>.
/// </summary>
internal sealed class TreePreparer(
    TreeCache cache, RegistryClientPool clients, NamespacePolicy policy, VerifiedAccess verified,
    NodeConfig config, NodeMetrics metrics)
    : ITreePreparer
{
    private const string InlineOrigin = "volume attribute " + VolumeContextKeys.InlineSpec;

    private readonly ParsedSpecs _parsed = new();

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
        ICredentialProvider credentials;
        try
        {
            credentials = VolumeCredentials.FromSecrets(request.Secrets, basicAuthRegistry);
        }
        catch (CredentialConfigException e)
        {
            throw new VolumeException(FailureKind.InvalidInput, $"nodePublishSecretRef: {e.Message}", e);
        }

        var canonical = VolumeCredentials.Canonical(request.Secrets, basicAuthRegistry, attributes.PlainHttp, attributes.Insecure);
        var access = new Access(verified.CredentialsId(canonical), attributes.PullPolicy != PullPolicy.Always);
        using var lease = clients.Rent(VolumeCredentials.Fingerprint(canonical), () => credentials, attributes.PlainHttp, attributes.Insecure);
        using var pull = metrics.PullStarted();
        started = metrics.Phase(PublishPhase.Credentials, started);

        string? digest = null;
        ValidSpec spec;
        if (attributes.Reference is { } reference)
        {
            Authorize(request.Pod, reference);
            (spec, digest) = await ResolveAsync(lease.Client, reference, attributes, access, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            spec = inline!;
        }

        RefuseLayoutSources(spec);
        foreach (var source in spec.Sources)
        {
            Authorize(request.Pod, source.Reference!);
        }

        started = metrics.Phase(PublishPhase.Resolve, started);
        var tree = await new TreeAssembler(cache).AssembleAsync(
            new AssemblyRequest { Spec = spec, Locator = new RegistryTargetLocator(lease.Client), Options = ExecutorOptionsFor(attributes) },
            config.Tenancy.Enforce ? new SourceAccess(this, lease.Client, access) : null,
            cancellationToken).ConfigureAwait(false);
        started = metrics.Phase(PublishPhase.Tree, started);
        if (attributes.Reference is { Digest: null } tagged)
        {
            cache.Pins.Pin(tagged.ToString(), tree.Key, digest!);
        }

        foreach (var source in tree.Sources)
        {
            // Resolved just now with these credentials.
            verified.Record(access.CredentialsId, source.Reference, source.ManifestDigest);
        }

        if (tree.Built)
        {
            metrics.CacheMiss();
        }
        else
        {
            metrics.CacheHit();
        }

        metrics.Phase(PublishPhase.Tenancy, started);
        return new PreparedTree(tree.Key, tree.Path, attributes.Describe(), digest, tree.Built);
    }

    private async Task<(ValidSpec Spec, string Digest)> ResolveAsync(
        RegistryClient client, Reference reference, VolumeAttributes attributes, Access access, CancellationToken cancellationToken)
    {
        var repository = client.GetRepository(reference);
        var (descriptor, bytes, asked) = await ReadManifestAsync(repository, reference, attributes.PullPolicy, access, cancellationToken).ConfigureAwait(false);
        if (asked)
        {
            // Only a read the registry answered starts a window; using a remembered one does not prolong it.
            verified.Record(access.CredentialsId, reference.ToString(), descriptor.Digest, descriptor);
        }

        if (MediaTypes.IsManifest(descriptor.MediaType)
            && OciJson.Deserialize<Manifest>(bytes, $"the manifest of {reference}") is var manifest && SpecArtifactReader.IsSpecArtifact(manifest))
        {
            var spec = await SpecArtifactReader.ReadSpecAsync(new CachedBlobSource(cache, repository), manifest, reference.ToString(), _parsed, cancellationToken)
                .ConfigureAwait(false);
            return (spec, descriptor.Digest);
        }

        try
        {
            // Pinned to what was just resolved, so the tree changes exactly when the artifact does.
            return (WholeArtifactSpec.Create(reference.WithDigest(descriptor.Digest), attributes.MediaTypes), descriptor.Digest);
        }
        catch (InvalidSpecException e)
        {
            throw new VolumeException(FailureKind.InvalidInput,
                $"volume attribute {VolumeContextKeys.LayerMediaTypes}: {string.Join("; ", e.Errors.Select(x => x.Message))}", e);
        }
    }

    /// <summary>
    /// The manifest a reference names and its bytes, kept in the node's blob store (verified against the digest like any
    /// blob). When these credentials read the reference as given within <c>tenancy.verifiedFor</c>, and for a tag the
    /// node still serves what they read, the manifest comes from the blob store without a registry request
    /// (<c>Asked</c> is false).
    /// </summary>
    private async Task<(Descriptor Descriptor, byte[] Bytes, bool Asked)> ReadManifestAsync(
        Repository repository, Reference reference, PullPolicy pullPolicy, Access access, CancellationToken cancellationToken)
    {
        string path;
        if (access.UseRemembered && verified.Find(access.CredentialsId, reference.ToString()) is { Manifest: { } known }
            && (reference.Digest is not null || (cache.Pins.Find(reference.ToString()) is { } pinned && pinned.Digest == known.Digest)))
        {
            path = await cache.EnsureBlobAsync(known, ct => repository.FetchAsync(known, ct), cancellationToken).ConfigureAwait(false);
            return (known, await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false), false);
        }

        var (descriptor, content) = await FetchManifestAsync(repository, reference, pullPolicy, cancellationToken).ConfigureAwait(false);
        await using (content.ConfigureAwait(false))
        {
            path = await cache.EnsureBlobAsync(descriptor, _ => Task.FromResult(content), cancellationToken).ConfigureAwait(false);
        }

        return (descriptor, await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false), true);
    }

    /// <summary>
    /// The manifest a reference names. With <c>IfNotPresent</c> a tag keeps naming what it named when this node resolved
    /// it, while the tree that gave is cached. Access is checked on the tag as the volume gives it before the pin is
    /// used, so a volume whose credentials may not read the tag is refused naming the tag alone: what the node pinned
    /// it to is nothing that volume could have learnt from the registry.
    /// </summary>
    private async Task<(Descriptor Descriptor, Stream Content)> FetchManifestAsync(
        Repository repository, Reference reference, PullPolicy pullPolicy, CancellationToken cancellationToken)
    {
        if (reference.Digest is not null)
        {
            return await repository.FetchAsync(reference.Digest, cancellationToken).ConfigureAwait(false);
        }

        if (pullPolicy == PullPolicy.IfNotPresent && cache.Pins.Find(reference.ToString()) is { Digest: not null } pinned)
        {
            await repository.ResolveAsync(reference.ContentReference, cancellationToken).ConfigureAwait(false);
            try
            {
                return await repository.FetchAsync(pinned.Digest!, cancellationToken).ConfigureAwait(false);
            }
            catch (NotFoundException)
            {
                // Deleted upstream since: follow the tag to what it names now.
            }
        }

        return await repository.FetchAsync(reference.ContentReference, cancellationToken).ConfigureAwait(false);
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

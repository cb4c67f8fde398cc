using System.Runtime.Versioning;
using OrasAssemble.Cache;
using OrasAssemble.Oci;
using OrasAssemble.Spec;
using OrasAssemble.SpecArtifacts;

namespace OrasAssemble.Execution;

/// <summary>
/// The one way from a spec or a reference to a tree in the cache, for every host. A reference is read first (see
/// <see cref="ReferenceReader"/>): with <c>IfNotPresent</c> a tag keeps naming what it named while the tree it gave is
/// cached. With <c>IfNotPresent</c> a spec assembled before is served from its pin without resolving anything, after
/// the caller's access check (if any) accepted the sources the tree was built from; when those are unknown (the ledger
/// lost them) the spec is resolved as with <c>Always</c>. Otherwise <see cref="SpecExecutor"/> resolves and builds.
/// Either way the pins, the tree's sources and its last use are recorded in the cache.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class TreeAssembler(TreeCache cache)
{
    // Specs read from spec artifacts, by layer digest: a host that assembles the same reference again parses it once.
    private readonly ParsedSpecs _parsed = new();

    /// <param name="accessCheck">Asked before a tree found by its pin is handed out; null hands it out to anyone.</param>
    /// <exception cref="ArgumentException">The request gives both a spec and a reference, or neither.</exception>
    public async Task<AssembledTree> AssembleAsync(AssemblyRequest request, IAccessCheck? accessCheck, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if ((request.Spec is null) == (request.Reference is null))
        {
            throw new ArgumentException("an assembly request names either a spec or a reference", nameof(request));
        }

        ValidSpec spec;
        Descriptor? manifest = null;
        if (request.Reference is { } reference)
        {
            (spec, manifest) = await new ReferenceReader(cache, _parsed).ReadAsync(request, reference, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            spec = request.Spec!;
        }

        request.Admit?.Invoke(spec);
        var tree = await AssembleSpecAsync(request, spec, accessCheck, cancellationToken).ConfigureAwait(false);
        if (request.Reference is { Digest: null } tag)
        {
            cache.Pins.Pin(ReferenceReader.PinName(request.Locator, tag), tree.Key, manifest!.Digest);
        }

        return tree with { ManifestDigest = manifest?.Digest };
    }

    private async Task<AssembledTree> AssembleSpecAsync(AssemblyRequest request, ValidSpec spec, IAccessCheck? accessCheck, CancellationToken cancellationToken)
    {
        var options = request.Options;
        var platform = options.DefaultPlatform ?? Platform.Current;
        var pin = $"pin\n{SpecExecutor.ExecutorVersion}\n{spec.Digest}\n{request.Locator.Identity}\n{platform}";
        // A local layout is cheap to read and its tags move under it: a spec with one is always resolved.
        var readsLayouts = spec.Sources.Any(s => s.Layout is not null);
        if (options.PullPolicy == PullPolicy.IfNotPresent && !readsLayouts && cache.Pins.Find(pin) is { } pinned
            && await MayHaveAsync(pinned.TreeKey, accessCheck, cancellationToken).ConfigureAwait(false))
        {
            options.Progress?.Invoke($"tree {pinned.TreeKey} is cached; no registry asked");
            cache.Ledger.Touch(pinned.TreeKey);
            return new AssembledTree(pinned.TreeKey, cache.TreePath(pinned.TreeKey), TreeOrigin.Pinned, []);
        }

        var tree = await new SpecExecutor(cache, request.Locator, options).AssembleAsync(spec, cancellationToken).ConfigureAwait(false);
        cache.Pins.Pin(pin, tree.Key);
        cache.Ledger.RecordSources(tree.Key, [.. tree.Sources.Select(s => new TreeSource(s.Reference, s.ManifestDigest))]);
        cache.Ledger.Touch(tree.Key);
        return tree;
    }

    /// <summary>Whether the pinned tree may be handed out; false when its sources are unknown and must be resolved.</summary>
    private async Task<bool> MayHaveAsync(string key, IAccessCheck? accessCheck, CancellationToken cancellationToken)
    {
        if (accessCheck is null)
        {
            return true;
        }

        if (cache.Ledger.Sources(key) is not { } sources)
        {
            return false;
        }

        await accessCheck.CheckAsync(sources, cancellationToken).ConfigureAwait(false);
        return true;
    }
}

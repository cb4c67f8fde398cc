using System.Runtime.Versioning;
using OrasAssemble.Cache;
using OrasAssemble.Oci;

namespace OrasAssemble.Execution;

/// <summary>
/// The one way from a spec to a tree in the cache, for every host. With <c>IfNotPresent</c> a spec assembled before is
/// served from its pin without resolving anything, after the caller's access check (if any) accepted the sources the
/// tree was built from; when those are unknown (the ledger lost them) the spec is resolved as with <c>Always</c>.
/// Otherwise <see cref="SpecExecutor"/> resolves and builds. Either way the pin, the tree's sources and its last use
/// are recorded in the cache.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class TreeAssembler(TreeCache cache)
{
    /// <param name="accessCheck">Asked before a tree found by its pin is handed out; null hands it out to anyone.</param>
    public async Task<AssembledTree> AssembleAsync(AssemblyRequest request, IAccessCheck? accessCheck, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var options = request.Options;
        var platform = options.DefaultPlatform ?? Platform.Current;
        var pin = $"pin\n{SpecExecutor.ExecutorVersion}\n{request.Spec.Digest}\n{request.Locator.Identity}\n{platform}";
        // A local layout is cheap to read and its tags move under it: a spec with one is always resolved.
        var readsLayouts = request.Spec.Sources.Any(s => s.Layout is not null);
        if (options.PullPolicy == PullPolicy.IfNotPresent && !readsLayouts && cache.Pins.Find(pin) is { } pinned
            && await MayHaveAsync(pinned.TreeKey, accessCheck, cancellationToken).ConfigureAwait(false))
        {
            options.Progress?.Invoke($"tree {pinned.TreeKey} is cached; no registry asked");
            cache.Ledger.Touch(pinned.TreeKey);
            return new AssembledTree(pinned.TreeKey, cache.TreePath(pinned.TreeKey), TreeOrigin.Pinned, []);
        }

        var tree = await new SpecExecutor(cache, request.Locator, options).AssembleAsync(request.Spec, cancellationToken).ConfigureAwait(false);
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

using OrasAssemble.Execution;
using OrasAssemble.Failures;
using OrasAssemble.Oci;
using OrasAssemble.Registry;
using OrasAssemble.Spec.Model;

namespace OrasAssemble.SpecArtifacts;

/// <summary>
/// Makes the next revision of a spec artifact on another base image: the same spec with only <c>base.image</c>
/// changed, the new base pinned by digest in the annotation, and <c>subject</c> naming the revision it was made from.
/// The new base must provide the platform the spec runs on (the rebase guard) unless the caller forces it.
/// </summary>
public sealed class SpecRebaser(ITargetLocator locator, long maxManifestBytes = OciLimits.MaxManifestBytes)
{
    /// <param name="previous">The revision to rebase, as read from its store.</param>
    /// <param name="newBase">The new base image as the user wrote it.</param>
    /// <param name="force">Skip the platform check (the old base is then not read at all).</param>
    /// <param name="created">The new revision's creation time.</param>
    /// <exception cref="InvalidReferenceException"><paramref name="newBase"/> is not a reference.</exception>
    /// <exception cref="InvalidOperationException">The spec has no base to rebase.</exception>
    /// <exception cref="BasePlatformMismatchException">The new base does not provide the spec's platform.</exception>
    /// <exception cref="AssemblyException">The new or the old base cannot be resolved or read.</exception>
    public async Task<RebasedSpec> RebaseAsync(
        SpecArtifactContent previous, string newBase, bool force, DateTimeOffset created, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(previous);
        ArgumentNullException.ThrowIfNull(newBase);
        var oldBase = previous.Spec.Model.Base ?? throw new InvalidOperationException("the spec has no base image to rebase (it has no base field)");
        var newReference = Reference.Parse(newBase);
        var offered = await Guard("--base", () => BaseImagePlatforms.ReadAsync(locator.Locate(newReference), newBase, maxManifestBytes, cancellationToken))
            .ConfigureAwait(false);

        IReadOnlyList<Platform> required = [];
        if (!force)
        {
            required = await RequiredPlatformsAsync(previous, oldBase, cancellationToken).ConfigureAwait(false);
            var missing = required.Where(p => !offered.Provides(p)).ToList();
            if (missing.Count > 0)
            {
                throw new BasePlatformMismatchException(
                    $"refusing to rebase onto {newBase}: it provides {offered.Describe()}, not {string.Join(", ", missing)}, "
                    + $"the platform of {RequiredFrom(previous, oldBase)}; pass --force to rebase anyway");
            }
        }

        var spec = previous.Spec.Model with { Base = oldBase with { Image = NewImageText(oldBase.Image, newBase, newReference, offered.Root.Digest) } };
        var pinned = newReference.WithDigest(offered.Root.Digest).ToString();
        var artifact = SpecArtifactBuilder.Build(spec, pinned, created, previous.ManifestDescriptor);
        return new RebasedSpec(artifact, pinned, required);
    }

    /// <summary>
    /// The platforms the new base must provide: <c>base.platform</c> when the spec states it, else every platform the
    /// old base offers, read where the previous revision pinned it (its tag may have moved since).
    /// </summary>
    private async Task<IReadOnlyList<Platform>> RequiredPlatformsAsync(SpecArtifactContent previous, BaseImageSpec oldBase, CancellationToken cancellationToken)
    {
        if (oldBase.Platform is { } stated)
        {
            return [Platform.Parse(stated)];
        }

        var oldText = PinnedOldBase(previous) ?? oldBase.Image;
        var oldPlatforms = await Guard("base.image", () =>
            BaseImagePlatforms.ReadAsync(locator.Locate(Reference.Parse(oldText)), oldText, maxManifestBytes, cancellationToken)).ConfigureAwait(false);
        return oldPlatforms.Platforms;
    }

    private static string RequiredFrom(SpecArtifactContent previous, BaseImageSpec oldBase) =>
        oldBase.Platform is not null ? "the spec's base.platform" : $"the current base {PinnedOldBase(previous) ?? oldBase.Image}";

    private static string? PinnedOldBase(SpecArtifactContent previous) =>
        previous.Manifest.Annotations is { } annotations && annotations.TryGetValue(SpecArtifact.BaseAnnotation, out var pinned) ? pinned : null;

    /// <summary>
    /// Keeps the form the user chose: a spec written with a tag gets the new reference as given; a spec locked to a
    /// digest (<c>push --lock</c>) gets the new base locked the same way.
    /// </summary>
    private static string NewImageText(string oldImage, string newBase, Reference newReference, string digest)
    {
        var wasLocked = Reference.TryParse(oldImage, out var old) && old.Digest is not null;
        return wasLocked && newReference.Digest is null
            ? Reference.Parse($"{newReference.Registry}/{newReference.Repository}@{digest}").ToString()
            : newBase;
    }

    private static async Task<T> Guard<T>(string field, Func<Task<T>> read)
    {
        try
        {
            return await read().ConfigureAwait(false);
        }
        catch (Exception e) when (Failure.IsAboutInput(e))
        {
            throw new AssemblyException(field, e.Message, e);
        }
    }
}

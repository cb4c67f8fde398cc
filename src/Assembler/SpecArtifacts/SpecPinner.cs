using OrasAssemble.Execution;
using OrasAssemble.Failures;
using OrasAssemble.Oci;
using OrasAssemble.Registry;
using OrasAssemble.Spec.Model;

namespace OrasAssemble.SpecArtifacts;

/// <summary>
/// Pins the references of a spec to digests where they are read from: the base image for the artifact's
/// <c>land.oras.assemble.base</c> annotation, and for <c>push --lock</c> every tag in <c>sources</c> and <c>base</c>,
/// so that what was tested is what runs. Failures name the spec field, as the executor's do.
/// </summary>
public sealed class SpecPinner(ITargetLocator locator, long maxManifestBytes = OciLimits.MaxManifestBytes)
{
    /// <summary>
    /// The base image as <c>registry/repository[:tag]@sha256:…</c>: the tag, when written, is kept for people to read.
    /// With <c>base.platform</c>, an index must offer that platform (the rebase guard, checked at push too); the digest
    /// is still the one the reference names, so a multi-platform base stays multi-platform.
    /// </summary>
    /// <exception cref="AssemblyException">The base cannot be resolved, or does not provide its platform.</exception>
    public async Task<string> PinBaseAsync(BaseImageSpec baseImage, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(baseImage);
        return await Guard("base.image", async () =>
        {
            var reference = Reference.Parse(baseImage.Image);
            var located = locator.Locate(reference);
            if (baseImage.Platform is { } platform)
            {
                var resolved = await ManifestResolver.ResolveAsync(located, baseImage.Image, Platform.Parse(platform), maxManifestBytes, cancellationToken)
                    .ConfigureAwait(false);
                return reference.WithDigest(resolved.Root.Digest).ToString();
            }

            var descriptor = await located.Target.ResolveAsync(located.Reference, cancellationToken).ConfigureAwait(false);
            return reference.WithDigest(descriptor.Digest).ToString();
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// The spec with every reference in <c>sources</c> and <c>base</c> that has no digest rewritten to
    /// <c>registry/repository@sha256:…</c>, the digest its tag names now. References that carry a digest stay as written.
    /// </summary>
    /// <exception cref="AssemblyException">A reference cannot be resolved.</exception>
    /// <param name="lockBase">False to leave <c>base.image</c> as written (when the base is not reachable from here).</param>
    public async Task<AssemblySpec> LockAsync(AssemblySpec spec, bool lockBase = true, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var sources = await Task.WhenAll(spec.Sources.Select(async pair =>
            (pair.Key, Source: pair.Value with { Ref = await LockAsync($"sources.{pair.Key}.ref", pair.Value.Ref, cancellationToken).ConfigureAwait(false) })))
            .ConfigureAwait(false);
        var locked = spec with { Sources = sources.ToDictionary(s => s.Key, s => s.Source, StringComparer.Ordinal) };
        if (lockBase && spec.Base is { } baseImage)
        {
            locked = locked with { Base = baseImage with { Image = await LockAsync("base.image", baseImage.Image, cancellationToken).ConfigureAwait(false) } };
        }

        return locked;
    }

    private async Task<string> LockAsync(string field, string text, CancellationToken cancellationToken) =>
        await Guard(field, async () =>
        {
            var reference = Reference.Parse(text);
            if (reference.Digest is not null)
            {
                return text;
            }

            var located = locator.Locate(reference);
            var descriptor = await located.Target.ResolveAsync(located.Reference, cancellationToken).ConfigureAwait(false);
            return Reference.Parse($"{reference.Registry}/{reference.Repository}@{descriptor.Digest}").ToString();
        }).ConfigureAwait(false);

    private static async Task<string> Guard(string field, Func<Task<string>> resolve)
    {
        try
        {
            return await resolve().ConfigureAwait(false);
        }
        catch (Exception e) when (Failure.IsAboutInput(e))
        {
            throw new AssemblyException(field, e.Message, e);
        }
    }
}

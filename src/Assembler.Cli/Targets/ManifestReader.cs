using OrasAssemble.Content;
using OrasAssemble.Oci;

namespace OrasAssemble.Cli.Targets;

/// <summary>Reads the manifest or index a reference names, verified against its digest and bounded in size.</summary>
internal static class ManifestReader
{
    public static async Task<(Descriptor Descriptor, byte[] Content)> FetchAsync(ArtifactTarget target, CancellationToken cancellationToken)
    {
        Descriptor descriptor;
        Stream content;
        if (target.Store is IReferenceFetchable byReference)
        {
            (descriptor, content) = await byReference.FetchAsync(target.ContentReference, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            descriptor = await target.Store.ResolveAsync(target.ContentReference, cancellationToken).ConfigureAwait(false);
            content = await target.Store.FetchAsync(descriptor, cancellationToken).ConfigureAwait(false);
        }

        await using (content.ConfigureAwait(false))
        {
            if (descriptor.Size > OciLimits.MaxManifestBytes)
            {
                throw new SizeLimitExceededException($"{target.Reference}: the manifest is {descriptor.Size} bytes, over the limit of {OciLimits.MaxManifestBytes}");
            }

            var bytes = await ContentExtensions.ReadVerifiedAsync(content, descriptor, cancellationToken).ConfigureAwait(false);
            return (descriptor, bytes);
        }
    }
}

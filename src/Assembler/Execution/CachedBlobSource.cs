using OrasAssemble.Cache;
using OrasAssemble.Content;
using OrasAssemble.Oci;

namespace OrasAssemble.Execution;

/// <summary>
/// Blobs read through the cache: fetched from <paramref name="origin"/> (verified, once) only when the cache does not
/// hold them, then read from the cache. So a warm assembly of a spec artifact reads its spec layer without asking the
/// registry.
/// </summary>
internal sealed class CachedBlobSource(TreeCache cache, IFetchable origin) : IFetchable
{
    public async Task<Stream> FetchAsync(Descriptor target, CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            var path = await cache.EnsureBlobAsync(target, ct => origin.FetchAsync(target, ct), cancellationToken).ConfigureAwait(false);
            try
            {
                return File.OpenRead(path);
            }
            catch (FileNotFoundException) when (attempt == 1)
            {
                // No tree links a spec blob, so the cache may remove it to make room between finding and opening it.
            }
        }
    }
}

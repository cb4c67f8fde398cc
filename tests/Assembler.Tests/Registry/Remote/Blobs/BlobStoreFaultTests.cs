using OrasAssemble.Content;
using OrasAssemble.Tests.TestSupport;
using OrasAssemble.Registry.Remote;

namespace OrasAssemble.Tests.Registry.Remote.Blobs;

/// <summary>Blobs through a repository against the in-process faulty registry: corrupt, long and dropped bodies.</summary>
public sealed class BlobStoreFaultTests : FaultyRegistryTests
{
    [Fact]
    public async Task Corrupted_blob_body_is_rejected_as_a_digest_mismatch()
    {
        var good = RandomBytes(100_000);
        var descriptor = Server.AddBlob(good);
        var corrupt = (byte[])good.Clone();
        corrupt[50_000] ^= 0xff;
        Server.Blobs[descriptor.Digest] = corrupt;

        await using var stream = await Repo.FetchAsync(descriptor);
        var error = await Assert.ThrowsAsync<ContentVerificationException>(() => ReadAllAsync(stream));
        Assert.Contains($"digest mismatch: expected {descriptor.Digest}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Corrupted_blob_leaves_nothing_in_the_local_blob_store()
    {
        var good = RandomBytes(300_000);
        var descriptor = Server.AddBlob(good);
        var corrupt = (byte[])good.Clone();
        corrupt[^1] ^= 0x01;
        Server.Blobs[descriptor.Digest] = corrupt;
        using var dir = new TempDirectory();
        var cache = new BlobStore(new BlobStoreOptions { Root = dir.Path });

        var error = await Assert.ThrowsAsync<ContentVerificationException>(() => Copier.CopyGraphAsync(Repo, cache, descriptor));

        Assert.Contains($"digest mismatch: expected {descriptor.Digest}", error.Message, StringComparison.Ordinal);
        Assert.False(await cache.ExistsAsync(descriptor));
        Assert.Empty(dir.Files());
    }

    [Fact]
    public async Task Blob_longer_than_its_descriptor_is_rejected()
    {
        var content = RandomBytes(1000);
        var descriptor = Server.AddBlob(content);
        Server.Blobs[descriptor.Digest] = [.. content, 1, 2, 3];

        var error = await Assert.ThrowsAsync<ContentVerificationException>(() => Repo.FetchAsync(descriptor));
        Assert.Contains("size mismatch: expected 1000 bytes, the registry sends 1003", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dropped_connection_mid_blob_resumes_with_Range_and_yields_the_exact_bytes()
    {
        var content = RandomBytes(3 * 1024 * 1024 + 17);
        var descriptor = Server.AddBlob(content);
        Server.Fault = async (context, n) =>
        {
            if (n != 1)
            {
                return false;
            }

            context.Response.ContentType = "application/octet-stream";
            context.Response.ContentLength = content.Length;
            await context.Response.Body.WriteAsync(content.AsMemory(0, content.Length / 3));
            await context.Response.Body.FlushAsync();
            context.Abort();
            return true;
        };

        await using var stream = await Repo.FetchAsync(descriptor);
        Assert.Equal(content, await ReadAllAsync(stream));

        var gets = Server.Requests.Where(r => r.Method == "GET").ToList();
        Assert.Equal(2, gets.Count);
        Assert.Null(gets[0].Range);
        Assert.Matches(@"^bytes=\d+-$", gets[1].Range!);
        Assert.True(int.Parse(gets[1].Range!["bytes=".Length..^1], System.Globalization.CultureInfo.InvariantCulture) > 0);
    }
}

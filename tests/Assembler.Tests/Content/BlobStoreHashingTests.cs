using System.Runtime.Versioning;
using OrasAssemble.Content;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Tests.Fixtures;
using OrasAssemble.Tests.Registry.Remote;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Content;

/// <summary>Each byte that fills the blob store from a registry is hashed once, and a bad body is still refused.</summary>
[UnsupportedOSPlatform("windows")]
public sealed class BlobStoreHashingTests(AnonymousRegistryFixture fixture) : IClassFixture<AnonymousRegistryFixture>, IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly RegistryClient _client = new(new RegistryClientOptions
    {
        Hosts = TestHosts.PlainHttp,
        Retry = new RetryPolicy { MaxAttempts = 2, BaseDelay = TimeSpan.FromMilliseconds(5) },
    });

    public void Dispose()
    {
        _client.Dispose();
        _dir.Dispose();
    }

    private BlobStore NewStore() => new(new BlobStoreOptions { Root = _dir.Path });

    [Fact]
    public async Task A_blob_from_the_registry_is_hashed_once_on_its_way_into_the_store()
    {
        var repo = _client.GetRepository($"{fixture.Server.Host}/hashing/once");
        var content = TestContent.Random(3 * 1024 * 1024 + 7, seed: 11);
        var descriptor = TestContent.Describe(content);
        await repo.PushAsync(descriptor, new MemoryStream(content));
        var store = NewStore();

        using var meter = new VerifiedBytesMeter();
        await using (var body = await repo.FetchAsync(descriptor))
        {
            await store.PushAsync(descriptor, body);
        }

        Assert.Equal(descriptor.Size, meter.Bytes);
        Assert.Equal(content, await File.ReadAllBytesAsync(store.GetPath(descriptor.Digest)));
    }

    [Fact]
    public async Task A_body_corrupted_in_its_last_byte_is_refused_and_leaves_nothing_though_hashed_once()
    {
        await using var server = await FaultyRegistry.StartAsync();
        var good = TestContent.Random(300_000, seed: 12);
        var descriptor = server.AddBlob(good);
        var corrupt = (byte[])good.Clone();
        corrupt[^1] ^= 0x01;
        server.Blobs[descriptor.Digest] = corrupt;
        var store = NewStore();

        using var meter = new VerifiedBytesMeter();
        await using var body = await _client.GetRepository($"{server.Host}/test/app").FetchAsync(descriptor);
        var error = await Assert.ThrowsAsync<ContentVerificationException>(() => store.PushAsync(descriptor, body));

        Assert.Contains($"digest mismatch: expected {descriptor.Digest}", error.Message, StringComparison.Ordinal);
        Assert.Equal(descriptor.Size, meter.Bytes);
        Assert.False(await store.ExistsAsync(descriptor));
        Assert.Empty(_dir.Files());
    }

    [Fact]
    public async Task A_verifying_stream_already_read_from_is_hashed_again_so_the_missing_bytes_are_noticed()
    {
        var content = TestContent.Random(10_000, seed: 13);
        var descriptor = TestContent.Describe(content);
        await using var partly = new VerifyingStream(new MemoryStream(content), descriptor);
        Assert.Equal(1, await partly.ReadAsync(new byte[1]));
        var store = NewStore();

        var error = await Assert.ThrowsAsync<ContentVerificationException>(() => store.PushAsync(descriptor, partly));

        Assert.Contains($"content of {descriptor.Digest} ended after 9999 of 10000 bytes", error.Message, StringComparison.Ordinal);
        Assert.False(await store.ExistsAsync(descriptor));
        Assert.Empty(_dir.Files());
    }

    [Fact]
    public async Task A_verifying_stream_for_another_descriptor_is_not_trusted()
    {
        var content = TestContent.Random(10_000, seed: 14);
        var other = TestContent.Random(10_000, seed: 15);
        var claimed = TestContent.Describe(content);
        await using var mislabelled = new VerifyingStream(new MemoryStream(other), TestContent.Describe(other));
        var store = NewStore();

        var error = await Assert.ThrowsAsync<ContentVerificationException>(() => store.PushAsync(claimed, mislabelled));

        Assert.Contains($"digest mismatch: expected {claimed.Digest}", error.Message, StringComparison.Ordinal);
        Assert.Empty(_dir.Files());
    }
}

using System.Text;
using OrasAssemble.Content;
using OrasAssemble.Oci;
using OrasAssemble.Tests.TestSupport;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Tests.Fixtures;

namespace OrasAssemble.Tests.Registry.Remote.Blobs;

/// <summary>Blobs through a repository against a real CNCF Distribution registry, anonymous access.</summary>
public sealed class BlobStoreRegistryTests(AnonymousRegistryFixture fixture) : RegistryRepositoryTests(fixture), IClassFixture<AnonymousRegistryFixture>
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3 * 1024 * 1024)]
    [InlineData(24 * 1024 * 1024 + 3)]
    public async Task Blob_round_trip_keeps_every_byte(int size)
    {
        var repo = Repo($"blobs/size-{size}");
        var content = RandomBytes(size, size);
        var descriptor = Descriptor.Create(content, "application/octet-stream");

        await using (var source = new MemoryStream(content))
        {
            await repo.PushAsync(descriptor, source);
        }

        Assert.True(await repo.ExistsAsync(descriptor));
        Assert.Equal(content, await ReadAllAsync(repo, descriptor));
    }

    [Fact]
    public async Task Large_blob_goes_up_in_PATCH_chunks_from_a_one_way_stream()
    {
        var repo = Repo("blobs/chunked");
        var content = RandomBytes(5 * 1024 * 1024 + 123, 7);
        var descriptor = Descriptor.Create(content, "application/octet-stream");
        Server.ClearRequests();

        await using (var source = new OneWayStream(content))
        {
            await repo.PushAsync(descriptor, source);
        }

        Assert.Equal(6, Server.Count("PATCH", "/v2/blobs/chunked/blobs/uploads/"));
        Assert.Equal(1, Server.Count("PUT", "/v2/blobs/chunked/blobs/uploads/"));
        Assert.Equal(content, await ReadAllAsync(repo, descriptor));
    }

    [Fact]
    public async Task Pushing_a_blob_the_registry_has_sends_no_upload()
    {
        var repo = Repo("blobs/dedupe");
        var content = Encoding.UTF8.GetBytes("already there");
        var descriptor = await repo.PushBytesAsync("application/octet-stream", content);
        Server.ClearRequests();

        await repo.PushBytesAsync("application/octet-stream", content);

        Assert.Equal(1, Server.Count("HEAD", $"/v2/blobs/dedupe/blobs/{descriptor.Digest}"));
        Assert.Equal(0, Server.Count("POST", "/v2/blobs/dedupe/blobs/uploads/"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Source_that_does_not_match_its_descriptor_is_not_committed(bool seekable)
    {
        var repo = Repo("blobs/liar");
        var claimed = Descriptor.Create(Encoding.UTF8.GetBytes("the real content"), "application/octet-stream");
        var lie = Encoding.UTF8.GetBytes("other content!!!");
        await using Stream source = seekable ? new MemoryStream(lie) : new OneWayStream(lie);

        var error = await Assert.ThrowsAsync<ContentVerificationException>(() => repo.PushAsync(claimed, source));

        Assert.StartsWith($"digest mismatch: expected {claimed.Digest}", error.Message, StringComparison.Ordinal);

        Assert.False(await repo.ExistsAsync(claimed));
    }

    [Fact]
    public async Task Cross_repository_mount_moves_no_bytes()
    {
        var source = Repo("mount/source");
        var target = Repo("mount/target");
        var content = RandomBytes(512 * 1024, 11);
        var descriptor = await source.PushBytesAsync("application/octet-stream", content);
        Server.ClearRequests();

        await target.MountAsync(descriptor, "mount/source");

        var post = Assert.Single(Server.Requests, r => r.Method == "POST");
        Assert.Equal(201, post.StatusCode);
        Assert.Contains("mount=", post.Path, StringComparison.Ordinal);
        Assert.Equal(0, Server.Count("PUT", "/v2/mount/target/"));
        Assert.Equal(content, await ReadAllAsync(target, descriptor));
    }

    [Fact]
    public async Task Mount_from_a_repository_without_the_blob_falls_back_to_uploading_it()
    {
        var target = Repo("mount/fallback");
        var content = RandomBytes(1000, 12);
        var descriptor = Descriptor.Create(content, "application/octet-stream");

        await target.MountAsync(descriptor, "mount/nowhere", _ => Task.FromResult<Stream>(new MemoryStream(content)));

        Assert.Equal(content, await ReadAllAsync(target, descriptor));
    }
}

using System.Net;
using System.Text;
using OrasAssemble.Content;
using OrasAssemble.Oci;
using OrasAssemble.Registry;
using OrasAssemble.Tests.TestSupport;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Tests.Fixtures;

namespace OrasAssemble.Tests.Registry.Remote;

/// <summary>The client against a real CNCF Distribution registry, anonymous access.</summary>
public sealed class RepositoryRegistryTests(AnonymousRegistryFixture fixture) : IClassFixture<AnonymousRegistryFixture>, IDisposable
{
    private readonly RegistryClient _client = new(new RegistryClientOptions
    {
        Hosts = TestHosts.PlainHttp,
        MonolithicUploadLimit = 4 * 1024 * 1024,
        ChunkSize = 1024 * 1024,
    });

    private RegistryServer Server => fixture.Server;

    public void Dispose() => _client.Dispose();

    private Repository Repo(string name) => _client.GetRepository($"{Server.Host}/{name}");

    internal static byte[] RandomBytes(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    internal static async Task<byte[]> ReadAllAsync(IFetchable store, Descriptor descriptor)
    {
        await using var stream = await store.FetchAsync(descriptor);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

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
    public async Task Manifest_pushed_by_tag_resolves_fetches_and_lists()
    {
        var repo = Repo("manifests/app");
        var (manifest, bytes) = await PushArtifactAsync(repo, "hello.txt", "hello", artifactType: "application/vnd.example.hello");
        await repo.PushAsync(manifest, new MemoryStream(bytes), "v1");
        await repo.TagAsync(manifest, "v1-copy");

        var resolved = await repo.ResolveAsync("v1");
        var (fetched, content) = await repo.FetchAsync("v1-copy");
        await using (content)
        {
            using var copy = new MemoryStream();
            await content.CopyToAsync(copy);
            Assert.Equal(bytes, copy.ToArray());
        }

        Assert.Equal(manifest.Digest, resolved.Digest);
        Assert.Equal(MediaTypes.ImageManifest, resolved.MediaType);
        Assert.Equal(bytes.Length, resolved.Size);
        Assert.Equal(manifest.Digest, fetched.Digest);
        var tags = new List<string>();
        await foreach (var tag in repo.ListTagsAsync())
        {
            tags.Add(tag);
        }

        Assert.Equal(["v1", "v1-copy"], tags.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Index_with_two_platforms_selects_the_one_asked_for()
    {
        var repo = Repo("manifests/multi");
        var (amd64, _) = await PushArtifactAsync(repo, "a.txt", "amd64 build");
        var (arm64, _) = await PushArtifactAsync(repo, "a.txt", "arm64 build");
        var index = new Oci.Index
        {
            Manifests =
            [
                amd64 with { Platform = Platform.Parse("linux/amd64") },
                arm64 with { Platform = Platform.Parse("linux/arm64") },
            ],
        };
        var bytes = OciJson.Serialize(index);
        var indexDescriptor = Descriptor.Create(bytes, MediaTypes.ImageIndex);
        await repo.PushAsync(indexDescriptor, new MemoryStream(bytes), "latest");

        var (resolved, content) = await repo.FetchAsync("latest");
        await using (content)
        {
            Assert.Equal(MediaTypes.ImageIndex, resolved.MediaType);
        }

        var fetched = OciJson.Deserialize<Oci.Index>(await ReadAllAsync(repo, resolved), "index");
        Assert.Equal(arm64.Digest, fetched.SelectPlatform(Platform.Parse("linux/arm64/v8")).Digest);
        var missing = Assert.Throws<PlatformNotFoundException>(() => fetched.SelectPlatform(Platform.Parse("linux/s390x")));
        Assert.Equal("no manifest for platform linux/s390x in the index (it offers: linux/amd64, linux/arm64)", missing.Message);
    }

    [Fact]
    public async Task Referrers_are_found_through_the_tag_fallback_and_dropped_on_delete()
    {
        var repo = Repo("referrers/app");
        var (subject, _) = await PushArtifactAsync(repo, "app.jar", "the application");
        var (sbom, _) = await PushArtifactAsync(repo, "sbom.json", "{}", artifactType: "application/vnd.example.sbom", subject: subject);
        var (signature, _) = await PushArtifactAsync(repo, "sig", "signed", artifactType: "application/vnd.example.sig", subject: subject);

        var all = await ListReferrersAsync(repo, subject, null);
        var sboms = await ListReferrersAsync(repo, subject, "application/vnd.example.sbom");

        Assert.False(repo.SupportsReferrersApi);
        Assert.Equal([sbom.Digest, signature.Digest], all.Select(d => d.Digest));
        Assert.Equal("application/vnd.example.sbom", all[0].ArtifactType);
        Assert.Equal(sbom.Digest, Assert.Single(sboms).Digest);
        Assert.Contains(Repository.ReferrersTag(subject), await ListTagsAsync(repo));

        await repo.DeleteAsync(sbom);

        Assert.Equal([signature.Digest], (await ListReferrersAsync(repo, subject, null)).Select(d => d.Digest));
        Assert.False(await repo.ExistsAsync(sbom));
    }

    [Fact]
    public async Task Deleting_a_manifest_by_digest_makes_it_unknown()
    {
        var repo = Repo("delete/app");
        var (manifest, bytes) = await PushArtifactAsync(repo, "x", "to be deleted");
        await repo.PushAsync(manifest, new MemoryStream(bytes), "gone");

        await repo.DeleteAsync(manifest);

        var error = await Assert.ThrowsAsync<RegistryNotFoundException>(() => repo.ResolveAsync(manifest.Digest));
        Assert.Contains($"resolve {Server.Host}/delete/app@{manifest.Digest}: not found (404", error.Message, StringComparison.Ordinal);
        var fetch = await Assert.ThrowsAsync<RegistryNotFoundException>(() => repo.FetchAsync("gone"));
        Assert.Contains("MANIFEST_UNKNOWN", fetch.Message, StringComparison.Ordinal);
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

    [Fact]
    public async Task Unknown_repository_is_a_not_found_error_naming_it()
    {
        var error = await Assert.ThrowsAsync<RegistryNotFoundException>(() => Repo("does/not-exist").ResolveAsync("latest"));
        Assert.StartsWith($"resolve {Server.Host}/does/not-exist:latest: not found", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Pushes a one-file ORAS-style artifact (empty config, titled layer) and returns its manifest.</summary>
    internal static async Task<(Descriptor Manifest, byte[] Bytes)> PushArtifactAsync(
        IPushable repo, string title, string text, string? artifactType = null, Descriptor? subject = null)
    {
        var layer = await repo.PushBytesAsync("text/plain", Encoding.UTF8.GetBytes(text),
            new Dictionary<string, string> { [Annotations.Title] = title });
        await repo.PushBytesAsync(MediaTypes.Empty, "{}"u8.ToArray());
        var manifest = new Manifest
        {
            ArtifactType = artifactType,
            Config = Descriptor.Empty with { Data = null },
            Layers = [layer],
            Subject = subject?.Basic(),
            Annotations = new Dictionary<string, string> { [Annotations.Created] = "2026-11-22T00:00:00Z" },
        };
        var bytes = OciJson.Serialize(manifest);
        var descriptor = Descriptor.Create(bytes, MediaTypes.ImageManifest);
        await repo.PushAsync(descriptor, new MemoryStream(bytes));
        return (descriptor, bytes);
    }

    private static async Task<List<Descriptor>> ListReferrersAsync(Repository repo, Descriptor subject, string? artifactType)
    {
        var result = new List<Descriptor>();
        await foreach (var d in repo.FetchReferrersAsync(subject, artifactType))
        {
            result.Add(d);
        }

        return result;
    }

    private static async Task<List<string>> ListTagsAsync(Repository repo)
    {
        var result = new List<string>();
        await foreach (var t in repo.ListTagsAsync())
        {
            result.Add(t);
        }

        return result;
    }
}

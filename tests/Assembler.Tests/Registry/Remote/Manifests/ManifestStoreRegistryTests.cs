using OrasAssemble.Oci;
using OrasAssemble.Registry;
using OrasAssemble.Tests.TestSupport;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Tests.Fixtures;

namespace OrasAssemble.Tests.Registry.Remote.Manifests;

/// <summary>Manifests and tags through a repository against a real CNCF Distribution registry, anonymous access.</summary>
public sealed class ManifestStoreRegistryTests(AnonymousRegistryFixture fixture) : RegistryRepositoryTests(fixture), IClassFixture<AnonymousRegistryFixture>
{
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
}

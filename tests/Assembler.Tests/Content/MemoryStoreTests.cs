using OrasAssemble.Content;
using OrasAssemble.Oci;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Content;

public sealed class MemoryStoreTests
{
    private readonly MemoryStore _store = new();

    [Fact]
    public async Task PushedContentFetchesBackByDescriptorAndByTag()
    {
        var manifest = await TestContent.PushImageAsync(_store, TestContent.ImageConfig("linux", "amd64"), [TestContent.Bytes("layer")]);
        await _store.TagAsync(manifest, "v1");

        var resolved = await _store.ResolveAsync("v1");
        var (byTag, content) = await _store.FetchAsync("v1");
        await using (content)
        {
            Assert.Equal(manifest.Digest, resolved.Digest);
            Assert.Equal(manifest.Digest, byTag.Digest);
            Assert.Equal(manifest.Digest, Digest.ComputeSha256(await ReadAsync(content)));
        }

        Assert.Equal(manifest.Digest, (await _store.ResolveAsync(manifest.Digest)).Digest);
        Assert.Equal(MediaTypes.ImageManifest, (await _store.ResolveAsync(manifest.Digest)).MediaType);
    }

    [Fact]
    public async Task MismatchedPushStoresNothing()
    {
        var descriptor = TestContent.Describe(TestContent.Bytes("expected"));

        await Assert.ThrowsAsync<ContentVerificationException>(() => _store.PushAsync(descriptor, new MemoryStream(TestContent.Bytes("impostor"))));

        Assert.False(await _store.ExistsAsync(descriptor));
        await Assert.ThrowsAsync<NotFoundException>(() => _store.FetchAsync(descriptor));
    }

    [Theory]
    [InlineData("")]
    [InlineData("-leading-dash")]
    [InlineData(".leading-dot")]
    [InlineData("trailing/")]
    [InlineData("double//slash")]
    [InlineData("has:")]
    [InlineData("space inside")]
    public async Task InvalidTagsAreRejectedWithTheTagInTheMessage(string tag)
    {
        var blob = await _store.PushBytesAsync("text/plain", TestContent.Bytes("x"));

        var error = await Assert.ThrowsAnyAsync<ArgumentException>(() => _store.TagAsync(blob, tag));

        Assert.Contains($"invalid tag \"{tag}\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TaggingMissingContentIsNotFound()
    {
        await Assert.ThrowsAsync<NotFoundException>(() => _store.TagAsync(TestContent.Describe(TestContent.Bytes("absent")), "v1"));
        await Assert.ThrowsAsync<NotFoundException>(() => _store.ResolveAsync("v1"));
    }

    [Fact]
    public async Task TagsListInOrdinalOrderAfterLast()
    {
        var blob = await _store.PushBytesAsync("text/plain", TestContent.Bytes("x"));
        foreach (var tag in new[] { "b", "a", "C", "c", "1.0" })
        {
            await _store.TagAsync(blob, tag);
        }

        Assert.Equal(["1.0", "C", "a", "b", "c"], await _store.ListTagsAsync().ToListAsync());
        Assert.Equal(["b", "c"], await _store.ListTagsAsync(last: "a").ToListAsync());
    }

    [Fact]
    public async Task ReferrersAreTheManifestsWhoseSubjectIsGivenFilteredByArtifactType()
    {
        var subject = await TestContent.PushImageAsync(_store, TestContent.ImageConfig("linux", "amd64"), [TestContent.Bytes("app")]);
        var other = await TestContent.PushImageAsync(_store, TestContent.ImageConfig("linux", "arm64"), [TestContent.Bytes("app")]);
        var signature = await TestContent.PushReferrerAsync(_store, subject, "application/vnd.example.signature", "sig");
        var sbom = await TestContent.PushReferrerAsync(_store, subject, "application/vnd.example.sbom", "sbom");
        await TestContent.PushReferrerAsync(_store, other, "application/vnd.example.signature", "other-sig");

        var all = await _store.FetchReferrersAsync(subject).ToListAsync();
        var signatures = await _store.FetchReferrersAsync(subject, "application/vnd.example.signature").ToListAsync();

        Assert.Equal(new[] { signature.Digest, sbom.Digest }.Order(StringComparer.Ordinal), all.Select(d => d.Digest));
        var only = Assert.Single(signatures);
        Assert.Equal(signature.Digest, only.Digest);
        Assert.Equal("application/vnd.example.signature", only.ArtifactType);
        Assert.Equal("sig", only.Annotations!["payload"]);
    }

    [Fact]
    public async Task DeleteRemovesContentAndItsTags()
    {
        var blob = await _store.PushBytesAsync("text/plain", TestContent.Bytes("x"));
        await _store.TagAsync(blob, "latest");

        await _store.DeleteAsync(blob);

        Assert.False(await _store.ExistsAsync(blob));
        Assert.Empty(await _store.ListTagsAsync().ToListAsync());
        await Assert.ThrowsAsync<NotFoundException>(() => _store.DeleteAsync(blob));
    }

    [Fact]
    public async Task ManifestsOverTheCapAreRefusedBeforeTheyAreRead()
    {
        var store = new MemoryStore { MaxManifestBytes = 64 };
        var big = new Manifest { Config = Descriptor.Empty, Annotations = new Dictionary<string, string> { ["pad"] = new string('x', 100) } };
        var bytes = OciJson.Serialize(big);

        await Assert.ThrowsAsync<SizeLimitExceededException>(() => store.PushBytesAsync(MediaTypes.ImageManifest, bytes));
        Assert.False(await store.ExistsAsync(Descriptor.Create(bytes, MediaTypes.ImageManifest)));
    }

    private static async Task<byte[]> ReadAsync(Stream stream)
    {
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer);
        return buffer.ToArray();
    }
}

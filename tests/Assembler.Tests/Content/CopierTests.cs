using System.Collections.Concurrent;
using OrasAssemble.Content;
using OrasAssemble.Layout;
using OrasAssemble.Oci;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Content;

public sealed class CopierTests : IDisposable
{
    private static readonly Platform Amd64 = Platform.Parse("linux/amd64");
    private static readonly Platform Arm64 = Platform.Parse("linux/arm64");

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task MemoryToLayoutToMemoryKeepsEveryDigestAndByte()
    {
        var source = new MemoryStore();
        var layers = new[] { TestContent.Random(1024 * 1024 + 1, seed: 1), TestContent.Bytes("small"), [] };
        var manifest = await TestContent.PushImageAsync(source, TestContent.ImageConfig("linux", "amd64"), layers);
        await source.TagAsync(manifest, "v1");
        using var layout = await OciLayoutStore.OpenAsync(_dir.Combine("layout"));
        var back = new MemoryStore();

        var toLayout = await Copier.CopyAsync(source, "v1", layout, "v1");
        var toMemory = await Copier.CopyAsync(layout, "v1", back, "again");

        Assert.Equal(manifest.Digest, toLayout.Digest);
        Assert.Equal(manifest.Digest, toMemory.Digest);
        Assert.Equal(manifest.Digest, (await back.ResolveAsync("again")).Digest);
        foreach (var node in await GraphAsync(source, manifest))
        {
            var original = await TestContent.ReadAllAsync(source, node);
            Assert.Equal(original, await TestContent.ReadAllAsync(layout, node));
            Assert.Equal(original, await TestContent.ReadAllAsync(back, node));
        }

        Assert.Equal(5, (await GraphAsync(back, manifest)).Count);
    }

    [Fact]
    public async Task AnIndexIsCopiedWholeChildrenFirstAndASharedLayerOnce()
    {
        var source = new MemoryStore();
        var (index, amd64, arm64, shared) = await PushTwoPlatformIndexAsync(source);
        var destination = new RecordingTarget(new MemoryStore());

        await Copier.CopyAsync(source, "multi", destination, "multi");

        var expected = (await GraphAsync(source, index)).Select(d => d.Digest).ToList();
        Assert.Equal(8, expected.Count); // index, 2 manifests, 2 configs, shared layer, 2 own layers
        Assert.Equal(expected.Order(), destination.Pushes.Order());
        Assert.Single(destination.Pushes, d => d == shared.Digest);
        AssertChildrenBeforeParents(destination.Pushes, index, [amd64, arm64]);
        foreach (var manifest in new[] { amd64, arm64 })
        {
            var parsed = OciJson.Deserialize<Manifest>(await TestContent.ReadAllAsync(source, manifest), "manifest");
            AssertChildrenBeforeParents(destination.Pushes, manifest, [parsed.Config, .. parsed.Layers]);
        }

        Assert.Equal(index.Digest, (await destination.ResolveAsync("multi")).Digest);
    }

    [Fact]
    public async Task APlatformIsPickedOutOfAnIndexAndTaggedAtTheDestination()
    {
        var source = new MemoryStore();
        var (index, amd64, arm64, shared) = await PushTwoPlatformIndexAsync(source);
        var destination = new MemoryStore();

        var copied = await Copier.CopyAsync(source, "multi", destination, "arm", new CopyOptions { Platform = Arm64 });

        Assert.Equal(arm64.Digest, copied.Digest);
        Assert.Equal(arm64.Digest, (await destination.ResolveAsync("arm")).Digest);
        Assert.True(await destination.ExistsAsync(shared));
        Assert.False(await destination.ExistsAsync(index));
        Assert.False(await destination.ExistsAsync(amd64));
        var amd64Manifest = OciJson.Deserialize<Manifest>(await TestContent.ReadAllAsync(source, amd64), "manifest");
        Assert.False(await destination.ExistsAsync(amd64Manifest.Config));
        await AssertAllPresentAsync(destination, await GraphAsync(source, arm64));
    }

    [Fact]
    public async Task APlatformNoManifestOffersIsAnErrorThatListsWhatIsOffered()
    {
        var source = new MemoryStore();
        await PushTwoPlatformIndexAsync(source);
        var destination = new MemoryStore();

        var error = await Assert.ThrowsAsync<PlatformNotFoundException>(() =>
            Copier.CopyAsync(source, "multi", destination, "x", new CopyOptions { Platform = Platform.Parse("linux/s390x") }));

        Assert.Contains("linux/amd64, linux/arm64", error.Message, StringComparison.Ordinal);
        Assert.Empty(await destination.ListTagsAsync().ToListAsync());
    }

    [Fact]
    public async Task APlainManifestMustBeOfTheAskedPlatform()
    {
        var source = new MemoryStore();
        var manifest = await TestContent.PushImageAsync(source, TestContent.ImageConfig("linux", "amd64"), [TestContent.Bytes("x")]);
        await source.TagAsync(manifest, "v1");
        var artifact = await TestContent.PushReferrerAsync(source, manifest, "application/vnd.example", "no platform");
        var destination = new MemoryStore();

        Assert.Equal(manifest.Digest, (await Copier.CopyAsync(source, "v1", destination, "v1", new CopyOptions { Platform = Amd64 })).Digest);
        var wrong = await Assert.ThrowsAsync<PlatformNotFoundException>(() => Copier.CopyAsync(source, "v1", new MemoryStore(), "v1", new CopyOptions { Platform = Arm64 }));
        Assert.Contains("linux/amd64", wrong.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<PlatformNotFoundException>(() => Copier.CopyAsync(source, artifact.Digest, new MemoryStore(), "a", new CopyOptions { Platform = Amd64 }));
    }

    [Fact]
    public async Task ReferrersOfEveryCopiedManifestAreCopiedRecursivelyWhenAsked()
    {
        var source = new MemoryStore();
        var (index, amd64, _, _) = await PushTwoPlatformIndexAsync(source);
        var signature = await TestContent.PushReferrerAsync(source, index, "application/vnd.example.signature", "index sig");
        var signatureOfSignature = await TestContent.PushReferrerAsync(source, signature, "application/vnd.example.signature", "countersig");
        var sbom = await TestContent.PushReferrerAsync(source, amd64, "application/vnd.example.sbom", "amd64 sbom");
        var with = new MemoryStore();
        var without = new MemoryStore();

        await Copier.CopyAsync(source, "multi", with, "multi", new CopyOptions { IncludeReferrers = true });
        await Copier.CopyAsync(source, "multi", without, "multi");

        foreach (var referrer in new[] { signature, signatureOfSignature, sbom })
        {
            await AssertAllPresentAsync(with, await GraphAsync(source, referrer));
            Assert.False(await without.ExistsAsync(referrer));
        }

        Assert.Equal([signature.Digest], await with.FetchReferrersAsync(index).Select(d => d.Digest).ToListAsync());
    }

    [Fact]
    public async Task ReferrersCanBeCopiedIntoALayoutAndListedThere()
    {
        var source = new MemoryStore();
        var manifest = await TestContent.PushImageAsync(source, TestContent.ImageConfig("linux", "amd64"), [TestContent.Bytes("x")]);
        await source.TagAsync(manifest, "v1");
        var signature = await TestContent.PushReferrerAsync(source, manifest, "application/vnd.example.signature", "sig");
        using var layout = await OciLayoutStore.OpenAsync(_dir.Combine("layout"));

        await Copier.CopyAsync(source, "v1", layout, "v1", new CopyOptions { IncludeReferrers = true });

        var listed = Assert.Single(await layout.FetchReferrersAsync(manifest).ToListAsync());
        Assert.Equal(signature.Digest, listed.Digest);
        Assert.Equal("application/vnd.example.signature", listed.ArtifactType);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(5)]
    public async Task TransfersInFlightNeverExceedTheBoundAcrossTheWholeGraph(int concurrency)
    {
        var source = new MemoryStore();
        var manifests = new List<Descriptor>();
        for (var m = 0; m < 2; m++)
        {
            var layers = Enumerable.Range(0, 12).Select(i => TestContent.Bytes($"manifest {m} layer {i}"));
            var manifest = await TestContent.PushImageAsync(source, TestContent.ImageConfig("linux", m == 0 ? "amd64" : "arm64"), layers);
            manifests.Add(manifest with { Platform = m == 0 ? Amd64 : Arm64 });
        }

        var index = await TestContent.PushIndexAsync(source, [.. manifests]);
        var destination = new RecordingTarget(new MemoryStore(), pushDelay: TimeSpan.FromMilliseconds(20));

        await Copier.CopyGraphAsync(source, destination, index, new CopyOptions { Concurrency = concurrency });

        Assert.Equal(29, destination.Pushes.Count);
        Assert.InRange(destination.MaxInFlight, Math.Min(2, concurrency), concurrency);
    }

    [Fact]
    public async Task ContentTheDestinationHasIsSkippedAndReported()
    {
        var source = new MemoryStore();
        var manifest = await TestContent.PushImageAsync(source, TestContent.ImageConfig("linux", "amd64"), [TestContent.Bytes("a"), TestContent.Bytes("b")]);
        await source.TagAsync(manifest, "v1");
        var parsed = OciJson.Deserialize<Manifest>(await TestContent.ReadAllAsync(source, manifest), "manifest");
        var inner = new MemoryStore();
        await inner.PushAsync(parsed.Layers[0], await source.FetchAsync(parsed.Layers[0]));
        var destination = new RecordingTarget(inner);
        var copied = new ConcurrentBag<string>();
        var skipped = new ConcurrentBag<string>();
        var options = new CopyOptions { OnCopied = d => copied.Add(d.Digest), OnSkipped = d => skipped.Add(d.Digest) };

        await Copier.CopyAsync(source, "v1", destination, "v1", options);

        Assert.Equal([parsed.Layers[0].Digest], skipped);
        Assert.Equal(new[] { manifest.Digest, parsed.Config.Digest, parsed.Layers[1].Digest }.Order(), copied.Order());
        Assert.Equal(copied.Order(), destination.Pushes.Order());

        copied.Clear();
        skipped.Clear();
        await Copier.CopyAsync(source, "v1", destination, "again", options);

        Assert.Equal([manifest.Digest], skipped); // a manifest present means its graph is present
        Assert.Empty(copied);
        Assert.Equal(3, destination.Pushes.Count);
        Assert.Equal(manifest.Digest, (await destination.ResolveAsync("again")).Digest);
    }

    [Fact]
    public async Task ABadBlobFailsTheCopyAndNoParentOfItReachesTheDestination()
    {
        var source = new MemoryStore();
        var (index, amd64, _, shared) = await PushTwoPlatformIndexAsync(source);
        var destination = new MemoryStore();

        await Assert.ThrowsAsync<ContentVerificationException>(() =>
            Copier.CopyAsync(new TamperingSource(source, shared.Digest), "multi", destination, "multi"));

        Assert.False(await destination.ExistsAsync(shared));
        Assert.False(await destination.ExistsAsync(amd64));
        Assert.False(await destination.ExistsAsync(index));
        Assert.Empty(await destination.ListTagsAsync().ToListAsync());
    }

    [Fact]
    public async Task CancellingStopsTheCopyAndNothingRunsAfterItReturns()
    {
        var source = new MemoryStore();
        var manifest = await TestContent.PushImageAsync(source, TestContent.ImageConfig("linux", "amd64"), Enumerable.Range(0, 40).Select(i => TestContent.Bytes($"layer {i}")));
        var destination = new RecordingTarget(new MemoryStore(), pushDelay: TimeSpan.FromMilliseconds(50));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(120));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            Copier.CopyGraphAsync(source, destination, manifest, new CopyOptions { Concurrency = 2 }, cancel.Token));

        var pushedWhenReturned = destination.Pushes.Count;
        await Task.Delay(200);
        Assert.Equal(pushedWhenReturned, destination.Pushes.Count);
        Assert.InRange(pushedWhenReturned, 0, 10);
        Assert.False(await destination.ExistsAsync(manifest));
    }

    [Fact]
    public async Task WithoutADestinationReferenceTheSourceTagIsUsedAndADigestTagsNothing()
    {
        var source = new MemoryStore();
        var manifest = await TestContent.PushImageAsync(source, TestContent.ImageConfig("linux", "amd64"), []);
        await source.TagAsync(manifest, "v1");
        var byTag = new MemoryStore();
        var byDigest = new MemoryStore();

        await Copier.CopyAsync(source, "v1", byTag, "");
        await Copier.CopyAsync(source, manifest.Digest, byDigest, "");

        Assert.Equal(["v1"], await byTag.ListTagsAsync().ToListAsync());
        Assert.Empty(await byDigest.ListTagsAsync().ToListAsync());
        Assert.True(await byDigest.ExistsAsync(manifest));
        await Assert.ThrowsAsync<ArgumentException>(() =>
            Copier.CopyAsync(source, "v1", new MemoryStore(), Digest.ComputeSha256(TestContent.Bytes("other"))));
    }

    [Fact]
    public async Task DockerManifestListsAndManifestsAreFollowedToo()
    {
        var source = new MemoryStore();
        var config = await source.PushBytesAsync(MediaTypes.DockerConfig, TestContent.ImageConfig("linux", "amd64"));
        var layer = await source.PushBytesAsync(MediaTypes.DockerLayerGzip, TestContent.Bytes("docker layer"));
        var manifest = await source.PushBytesAsync(MediaTypes.DockerManifest, OciJson.Serialize(new Manifest { MediaType = MediaTypes.DockerManifest, Config = config, Layers = [layer] }));
        var list = await source.PushBytesAsync(MediaTypes.DockerManifestList, OciJson.Serialize(new Oci.Index { MediaType = MediaTypes.DockerManifestList, Manifests = [manifest with { Platform = Amd64 }] }));
        await source.TagAsync(list, "latest");
        using var layout = await OciLayoutStore.OpenAsync(_dir.Combine("layout"));

        await Copier.CopyAsync(source, "latest", layout, "latest");

        foreach (var node in new[] { list, manifest, config, layer })
        {
            Assert.True(await layout.ExistsAsync(node));
        }

        var picked = await Copier.CopyAsync(layout, "latest", new MemoryStore(), "amd", new CopyOptions { Platform = Amd64 });
        Assert.Equal(manifest.Digest, picked.Digest);
    }

    [Fact]
    public async Task ManifestsOverTheCapAreNotRead()
    {
        var source = new MemoryStore();
        var manifest = await TestContent.PushImageAsync(source, TestContent.ImageConfig("linux", "amd64"), [TestContent.Bytes("x")]);
        var destination = new MemoryStore();

        await Assert.ThrowsAsync<SizeLimitExceededException>(() =>
            Copier.CopyGraphAsync(source, destination, manifest, new CopyOptions { MaxManifestBytes = manifest.Size - 1 }));

        Assert.False(await destination.ExistsAsync(manifest));
    }

    [Fact]
    public async Task ACopyFromAHandMadeLayoutSelectsByPlatformLikeFromAnyStore()
    {
        var source = new MemoryStore();
        var (index, _, arm64, _) = await PushTwoPlatformIndexAsync(source);
        using var layout = await OciLayoutStore.OpenAsync(_dir.Combine("layout"));
        await Copier.CopyAsync(source, "multi", layout, "multi");
        using var reopened = await OciLayoutStore.OpenAsync(_dir.Combine("layout"), new OciLayoutStoreOptions { CreateIfMissing = false });

        var picked = await Copier.CopyAsync(reopened, "multi", new MemoryStore(), "arm", new CopyOptions { Platform = Arm64 });

        Assert.Equal(arm64.Digest, picked.Digest);
        Assert.Equal(index.Digest, (await reopened.ResolveAsync("multi")).Digest);
    }

    [Fact]
    public async Task BadOptionsAreRefused()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            Copier.CopyGraphAsync(new MemoryStore(), new MemoryStore(), Descriptor.Empty, new CopyOptions { Concurrency = 0 }));
    }

    /// <summary>An index of linux/amd64 and linux/arm64 images that share one layer, tagged "multi".</summary>
    private static async Task<(Descriptor Index, Descriptor Amd64, Descriptor Arm64, Descriptor Shared)> PushTwoPlatformIndexAsync(MemoryStore store)
    {
        var shared = TestContent.Bytes("shared base layer");
        var amd64 = await TestContent.PushImageAsync(store, TestContent.ImageConfig("linux", "amd64"), [shared, TestContent.Bytes("amd64 app")]);
        var arm64 = await TestContent.PushImageAsync(store, TestContent.ImageConfig("linux", "arm64"), [shared, TestContent.Bytes("arm64 app")]);
        var index = await TestContent.PushIndexAsync(store, amd64 with { Platform = Amd64 }, arm64 with { Platform = Arm64 });
        await store.TagAsync(index, "multi");
        return (index, amd64, arm64, TestContent.Describe(shared, MediaTypes.ImageLayerGzip));
    }

    /// <summary>The node and everything below it, each once.</summary>
    private static async Task<List<Descriptor>> GraphAsync(IFetchable store, Descriptor root)
    {
        var seen = new Dictionary<string, Descriptor>();
        var pending = new Stack<Descriptor>([root]);
        while (pending.TryPop(out var node))
        {
            if (!seen.TryAdd(node.Digest, node))
            {
                continue;
            }

            if (MediaTypes.IsIndex(node.MediaType))
            {
                OciJson.Deserialize<Oci.Index>(await TestContent.ReadAllAsync(store, node), "index").Manifests.ToList().ForEach(pending.Push);
            }
            else if (MediaTypes.IsManifest(node.MediaType))
            {
                var manifest = OciJson.Deserialize<Manifest>(await TestContent.ReadAllAsync(store, node), "manifest");
                pending.Push(manifest.Config);
                manifest.Layers.ToList().ForEach(pending.Push);
            }
        }

        return [.. seen.Values];
    }

    private static async Task AssertAllPresentAsync(IReadOnlyStorage store, IEnumerable<Descriptor> nodes)
    {
        foreach (var node in nodes)
        {
            Assert.True(await store.ExistsAsync(node), $"{node.Digest} is missing");
        }
    }

    private static void AssertChildrenBeforeParents(IReadOnlyList<string> pushes, Descriptor parent, IEnumerable<Descriptor> children)
    {
        var parentAt = pushes.ToList().IndexOf(parent.Digest);
        Assert.True(parentAt >= 0, $"{parent.Digest} was not pushed");
        foreach (var child in children)
        {
            var childAt = pushes.ToList().IndexOf(child.Digest);
            Assert.InRange(childAt, 0, parentAt - 1);
        }
    }
}

using System.Text;
using System.Text.Json.Nodes;
using OrasAssemble.Content;
using OrasAssemble.Layout;
using OrasAssemble.Oci;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Layout;

public sealed class OciLayoutStoreTests : IDisposable
{
    private const string EmptyIndex = """{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}""";

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string LayoutPath => _dir.Combine("layout");

    private string IndexJson => File.ReadAllText(Path.Combine(LayoutPath, "index.json"), Encoding.UTF8);

    private Task<OciLayoutStore> OpenAsync(OciLayoutStoreOptions? options = null) => OciLayoutStore.OpenAsync(LayoutPath, options);

    [Fact]
    public async Task ANewLayoutHasExactlyTheFilesTheSpecRequires()
    {
        using var store = await OpenAsync();

        Assert.Equal("""{"imageLayoutVersion":"1.0.0"}""", File.ReadAllText(Path.Combine(LayoutPath, "oci-layout")));
        Assert.Equal(EmptyIndex, IndexJson);
        Assert.True(Directory.Exists(Path.Combine(LayoutPath, "blobs")));
        Assert.Equal(["layout/index.json", "layout/oci-layout"], _dir.Files().Where(f => !f.Contains("/.oras-assemble/", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task PushedManifestIsListedUntaggedAndTaggingAnnotatesThatSameEntry()
    {
        using var store = await OpenAsync();
        var manifest = await TestContent.PushImageAsync(store, TestContent.ImageConfig("linux", "amd64"), [TestContent.Bytes("layer")]);

        Assert.Equal(
            $$"""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{{manifest.Digest}}","size":{{manifest.Size}}}]}""",
            IndexJson);

        await store.TagAsync(manifest, "v1");

        Assert.Equal(
            $$$"""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{{{manifest.Digest}}}","size":{{{manifest.Size}}},"annotations":{"org.opencontainers.image.ref.name":"v1"}}]}""",
            IndexJson);
    }

    [Fact]
    public async Task BlobsAreNotListedInIndexJson()
    {
        using var store = await OpenAsync();

        var blob = await store.PushBytesAsync("text/plain", TestContent.Bytes("just a file"));

        Assert.Equal(EmptyIndex, IndexJson);
        Assert.True(File.Exists(Path.Combine(LayoutPath, "blobs", "sha256", Digest.Encoded(blob.Digest))));
    }

    [Fact]
    public async Task ASecondTagAddsAnEntryAndAMovedTagLeavesTheOldManifestRecorded()
    {
        using var store = await OpenAsync();
        var a = await TestContent.PushImageAsync(store, TestContent.ImageConfig("linux", "amd64"), [TestContent.Bytes("a")]);
        var b = await TestContent.PushImageAsync(store, TestContent.ImageConfig("linux", "amd64"), [TestContent.Bytes("b")]);
        var c = await TestContent.PushImageAsync(store, TestContent.ImageConfig("linux", "amd64"), [TestContent.Bytes("c")]);
        await store.TagAsync(a, "v1");
        await store.TagAsync(a, "stable");
        await store.TagAsync(c, "edge");

        await store.TagAsync(b, "v1");
        await store.TagAsync(b, "edge");

        // a keeps its other tag; c lost its only one and stays listed untagged, as a registry keeps it by digest.
        Assert.Equal(
            [(b.Digest, "v1"), (c.Digest, null), (a.Digest, "stable"), (b.Digest, "edge")],
            Entries().Select(e => (e.Digest, RefName(e))).ToList());
        Assert.Equal(b.Digest, (await store.ResolveAsync("v1")).Digest);
        Assert.Equal(a.Digest, (await store.ResolveAsync("stable")).Digest);
        Assert.Equal(c.Digest, (await store.ResolveAsync(c.Digest)).Digest);
    }

    [Fact]
    public async Task TaggingTheSameManifestTwiceDoesNotDuplicateIt()
    {
        using var store = await OpenAsync();
        var manifest = await TestContent.PushImageAsync(store, TestContent.ImageConfig("linux", "amd64"), []);
        await store.TagAsync(manifest, "v1");
        var before = IndexJson;

        await store.TagAsync(manifest, "v1");
        await store.PushAsync(manifest, new MemoryStream(await TestContent.ReadAllAsync(store, manifest)));

        Assert.Equal(before, IndexJson);
    }

    [Fact]
    public async Task ResolvesByTagAndByDigestWithoutTheTagAnnotation()
    {
        using var store = await OpenAsync();
        var manifest = await TestContent.PushImageAsync(store, TestContent.ImageConfig("linux", "amd64"), [TestContent.Bytes("layer")]);
        await store.TagAsync(manifest, "v1");

        var byTag = await store.ResolveAsync("v1");
        var byDigest = await store.ResolveAsync(manifest.Digest);
        var (fetched, stream) = await store.FetchAsync("v1");
        await using (stream)
        {
            using var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer);
            Assert.Equal(manifest.Digest, Digest.ComputeSha256(buffer.ToArray()));
        }

        Assert.Equal(manifest, byTag);
        Assert.Equal(manifest, byDigest);
        Assert.Equal(manifest, fetched);
        await Assert.ThrowsAsync<NotFoundException>(() => store.ResolveAsync("v2"));
        await Assert.ThrowsAsync<NotFoundException>(() => store.ResolveAsync(Digest.ComputeSha256(TestContent.Bytes("nothing"))));
    }

    [Fact]
    public async Task ADigestNotListedInIndexJsonResolvesWhenItsBlobIsAManifest()
    {
        using var store = await OpenAsync();
        var manifestBytes = OciJson.Serialize(new Manifest { Config = Descriptor.Empty, MediaType = null });
        var manifest = Descriptor.Create(manifestBytes, MediaTypes.ImageManifest);
        // Written straight into blobs/, as a child manifest of an index written by another tool would be.
        var blob = await store.PushBytesAsync("application/octet-stream", manifestBytes);
        var plain = await store.PushBytesAsync("text/plain", TestContent.Bytes("not json"));

        var resolved = await store.ResolveAsync(blob.Digest);

        Assert.Equal(manifest, resolved);
        await Assert.ThrowsAsync<NotFoundException>(() => store.ResolveAsync(plain.Digest));
    }

    [Fact]
    public async Task ContentPersistsAcrossReopening()
    {
        Descriptor manifest;
        using (var store = await OpenAsync())
        {
            manifest = await TestContent.PushImageAsync(store, TestContent.ImageConfig("linux", "amd64"), [TestContent.Bytes("persisted")]);
            await store.TagAsync(manifest, "v1");
        }

        using var reopened = await OpenAsync(new OciLayoutStoreOptions { CreateIfMissing = false });

        Assert.Equal(manifest.Digest, (await reopened.ResolveAsync("v1")).Digest);
        Assert.Equal(["v1"], await reopened.ListTagsAsync().ToListAsync());
        var parsed = OciJson.Deserialize<Manifest>(await TestContent.ReadAllAsync(reopened, manifest), "manifest");
        Assert.Equal(TestContent.Bytes("persisted"), await TestContent.ReadAllAsync(reopened, parsed.Layers[0]));
    }

    [Fact]
    public async Task ConcurrentTaggingFromTwoStoresOnOneDirectoryKeepsEveryTag()
    {
        using var first = await OpenAsync();
        using var second = await OpenAsync();
        var manifest = await TestContent.PushImageAsync(first, TestContent.ImageConfig("linux", "amd64"), []);
        var tags = Enumerable.Range(0, 60).SelectMany(i => new[] { (first, $"first-{i}"), (second, $"second-{i}") }).ToList();

        await Task.WhenAll(tags.Select(t => Task.Run(() => t.Item1.TagAsync(manifest, t.Item2))));

        using var reopened = await OpenAsync();
        Assert.Equal(tags.Select(t => t.Item2).Order(StringComparer.Ordinal), await reopened.ListTagsAsync().ToListAsync());
        Assert.Equal(120, Entries().Count);
    }

    [Fact]
    public async Task UpdatesWaitWhileAnotherProcessHoldsTheLayoutLock()
    {
        using var store = await OpenAsync();
        var manifest = await TestContent.PushImageAsync(store, TestContent.ImageConfig("linux", "amd64"), []);
        var before = IndexJson;

        // What another process holds while it rewrites index.json.
        var held = new FileStream(Path.Combine(LayoutPath, ".oras-assemble", "lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        var tagging = store.TagAsync(manifest, "v1");
        await Task.Delay(300);
        Assert.False(tagging.IsCompleted);
        Assert.Equal(before, IndexJson);

        await held.DisposeAsync();
        await tagging.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(manifest.Digest, (await store.ResolveAsync("v1")).Digest);
    }

    [Fact]
    public async Task ALockHeldTooLongEndsInATimeoutNamingTheLock()
    {
        using var store = await OpenAsync(new OciLayoutStoreOptions { LockTimeout = TimeSpan.FromMilliseconds(200) });
        var manifest = await TestContent.PushImageAsync(store, TestContent.ImageConfig("linux", "amd64"), []);
        var before = IndexJson;
        await using var held = new FileStream(Path.Combine(LayoutPath, ".oras-assemble", "lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);

        var error = await Assert.ThrowsAsync<TimeoutException>(() => store.TagAsync(manifest, "v1"));

        Assert.Contains(Path.Combine(".oras-assemble", "lock"), error.Message, StringComparison.Ordinal);
        Assert.Equal(before, IndexJson);
    }

    [Fact]
    public async Task ConcurrentPushesOfManifestsFromTwoStoresRecordEveryOne()
    {
        using var first = await OpenAsync();
        using var second = await OpenAsync();

        var pushed = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => Task.Run(() =>
            TestContent.PushImageAsync(i % 2 == 0 ? first : second, TestContent.ImageConfig("linux", "amd64"), [TestContent.Bytes($"layer {i}")]))));

        Assert.Equal(pushed.Select(d => d.Digest).Order(), Entries().Select(e => e.Digest).Order());
    }

    [Fact]
    public async Task ALayoutWrittenByHandFromTheSpecExampleIsReadableAndItsUnknownFieldsSurviveAnUpdate()
    {
        // Blobs that the spec's example index.json points at, made real so digests check out.
        Directory.CreateDirectory(Path.Combine(LayoutPath, "blobs", "sha256"));
        var config = WriteBlob(TestContent.ImageConfig("linux", "ppc64le"), MediaTypes.ImageConfig);
        var layer = WriteBlob(TestContent.Random(300, seed: 7), MediaTypes.ImageLayerGzip);
        var manifest = WriteBlob(TestContent.Bytes($$"""
            {
              "schemaVersion": 2,
              "mediaType": "application/vnd.oci.image.manifest.v1+json",
              "config": { "mediaType": "{{config.MediaType}}", "size": {{config.Size}}, "digest": "{{config.Digest}}" },
              "layers": [ { "mediaType": "{{layer.MediaType}}", "size": {{layer.Size}}, "digest": "{{layer.Digest}}" } ]
            }
            """), MediaTypes.ImageManifest);
        var index = WriteBlob(TestContent.Bytes($$"""
            {
              "schemaVersion": 2,
              "mediaType": "application/vnd.oci.image.index.v1+json",
              "manifests": [
                { "mediaType": "{{manifest.MediaType}}", "size": {{manifest.Size}}, "digest": "{{manifest.Digest}}",
                  "platform": { "architecture": "ppc64le", "os": "linux" } }
              ]
            }
            """), MediaTypes.ImageIndex);
        var xml = WriteBlob(TestContent.Bytes("<component/>"), "application/xml");
        await File.WriteAllTextAsync(Path.Combine(LayoutPath, "oci-layout"), """{"imageLayoutVersion": "1.0.0", "x-written-by": "hand"}""");
        await File.WriteAllTextAsync(Path.Combine(LayoutPath, "index.json"), $$"""
            {
              "schemaVersion": 2,
              "mediaType": "application/vnd.oci.image.index.v1+json",
              "manifests": [
                {
                  "mediaType": "application/vnd.oci.image.index.v1+json",
                  "size": {{index.Size}},
                  "digest": "{{index.Digest}}",
                  "annotations": {
                    "org.opencontainers.image.ref.name": "stable-release"
                  }
                },
                {
                  "mediaType": "application/vnd.oci.image.manifest.v1+json",
                  "size": {{manifest.Size}},
                  "digest": "{{manifest.Digest}}",
                  "platform": {
                    "architecture": "ppc64le",
                    "os": "linux"
                  },
                  "annotations": {
                    "org.opencontainers.image.ref.name": "v1.0"
                  },
                  "x-entry-field": [1, 2, 3]
                },
                {
                  "mediaType": "application/xml",
                  "size": {{xml.Size}},
                  "digest": "{{xml.Digest}}",
                  "annotations": {
                    "org.freedesktop.specifications.metainfo.version": "1.0",
                    "org.freedesktop.specifications.metainfo.type": "AppStream"
                  }
                }
              ],
              "annotations": {
                "com.example.index.revision": "r124356"
              },
              "x-top-level-field": { "kept": true }
            }
            """);

        using var store = await OpenAsync(new OciLayoutStoreOptions { CreateIfMissing = false });

        Assert.Equal(["stable-release", "v1.0"], await store.ListTagsAsync().ToListAsync());
        Assert.Equal(index.Basic(), await store.ResolveAsync("stable-release"));
        var platformManifest = await store.ResolveAsync("v1.0");
        Assert.Equal("ppc64le", platformManifest.Platform?.Architecture);
        Assert.Equal(TestContent.ImageConfig("linux", "ppc64le"), await TestContent.ReadAllAsync(store, config));

        await store.TagAsync(manifest, "latest");

        var rewritten = JsonNode.Parse(IndexJson)!.AsObject();
        Assert.True(rewritten["x-top-level-field"]!["kept"]!.GetValue<bool>());
        Assert.Equal("r124356", rewritten["annotations"]!["com.example.index.revision"]!.GetValue<string>());
        var entries = rewritten["manifests"]!.AsArray();
        Assert.Equal(4, entries.Count);
        Assert.Equal(3, entries[1]!["x-entry-field"]!.AsArray().Count);
        Assert.Equal("AppStream", entries[2]!["annotations"]!["org.freedesktop.specifications.metainfo.type"]!.GetValue<string>());
        Assert.Equal(["latest", "stable-release", "v1.0"], await store.ListTagsAsync().ToListAsync());
    }

    [Fact]
    public async Task FullReferenceNamesOtherToolsWriteResolveAsTheyAre()
    {
        using (var store = await OpenAsync())
        {
            await TestContent.PushImageAsync(store, TestContent.ImageConfig("linux", "amd64"), []);
        }

        // skopeo and containerd record a whole reference, not just a tag.
        var index = JsonNode.Parse(IndexJson)!;
        index["manifests"]![0]!["annotations"] = new JsonObject { ["org.opencontainers.image.ref.name"] = "example.com/app:1.0" };
        await File.WriteAllTextAsync(Path.Combine(LayoutPath, "index.json"), index.ToJsonString());
        using var reopened = await OpenAsync();

        Assert.Equal(["example.com/app:1.0"], await reopened.ListTagsAsync().ToListAsync());
        Assert.Equal(MediaTypes.ImageManifest, (await reopened.ResolveAsync("example.com/app:1.0")).MediaType);
    }

    [Theory]
    [InlineData("""{"imageLayoutVersion":"2.0.0"}""", "\"2.0.0\"")]
    [InlineData("""{"imageLayoutVersion":1}""", "imageLayoutVersion")]
    [InlineData("""{}""", "imageLayoutVersion")]
    [InlineData("""not json""", "not valid JSON")]
    public async Task ALayoutOfAnotherVersionIsRejectedNamingTheFile(string layoutFile, string expected)
    {
        Directory.CreateDirectory(LayoutPath);
        await File.WriteAllTextAsync(Path.Combine(LayoutPath, "oci-layout"), layoutFile);

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => OpenAsync());

        Assert.Contains("oci-layout", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADirectoryWithOtherFilesIsNotTurnedIntoALayout()
    {
        Directory.CreateDirectory(LayoutPath);
        await File.WriteAllTextAsync(Path.Combine(LayoutPath, "notes.txt"), "mine");

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => OpenAsync());

        Assert.Contains("not an OCI image layout", error.Message, StringComparison.Ordinal);
        Assert.Equal(["layout/notes.txt"], _dir.Files());
    }

    [Fact]
    public async Task AMissingLayoutIsAnErrorWhenCreationIsOff()
    {
        await Assert.ThrowsAsync<DirectoryNotFoundException>(() => OpenAsync(new OciLayoutStoreOptions { CreateIfMissing = false }));
        Assert.False(Directory.Exists(LayoutPath));
    }

    [Fact]
    public async Task ABrokenIndexJsonIsReportedByName()
    {
        using var store = await OpenAsync();
        await File.WriteAllTextAsync(Path.Combine(LayoutPath, "index.json"), """{"manifests":[{"mediaType":"x","digest":"sha256:nope","size":1}]}""");

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => store.ResolveAsync("v1"));

        Assert.Contains("index.json: manifests[0]", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-dash")]
    [InlineData("a//b")]
    [InlineData("/repo:tag")]
    [InlineData("repo:tag:")]
    [InlineData("sha256:0000000000000000000000000000000000000000000000000000000000000000")]
    public async Task InvalidTagsAreRejectedWithAClearMessage(string tag)
    {
        using var store = await OpenAsync();
        var manifest = await TestContent.PushImageAsync(store, TestContent.ImageConfig("linux", "amd64"), []);
        var before = IndexJson;

        var error = await Assert.ThrowsAnyAsync<ArgumentException>(() => store.TagAsync(manifest, tag));

        Assert.Contains($"invalid tag \"{tag}\"", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, IndexJson);
    }

    [Fact]
    public async Task AFullReferenceIsATagAndItsLengthIsBounded()
    {
        using var store = await OpenAsync();
        var manifest = await TestContent.PushImageAsync(store, TestContent.ImageConfig("linux", "amd64"), []);

        await store.TagAsync(manifest, "registry.example/apps/app:1.0");
        await store.TagAsync(manifest, new string('a', 1024));

        Assert.Equal(manifest.Digest, (await store.ResolveAsync("registry.example/apps/app:1.0")).Digest);
        Assert.Contains("\"org.opencontainers.image.ref.name\":\"registry.example/apps/app:1.0\"", IndexJson, StringComparison.Ordinal);
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.TagAsync(manifest, new string('a', 1025)));
    }

    [Fact]
    public async Task TaggingContentThatIsNotThereIsNotFound()
    {
        using var store = await OpenAsync();

        await Assert.ThrowsAsync<NotFoundException>(() => store.TagAsync(TestContent.Describe(TestContent.Bytes("absent"), MediaTypes.ImageManifest), "v1"));
        Assert.Equal(EmptyIndex, IndexJson);
    }

    [Fact]
    public async Task ReferrersAreManifestsInTheLayoutWhoseSubjectIsGiven()
    {
        using var store = await OpenAsync();
        var subject = await TestContent.PushImageAsync(store, TestContent.ImageConfig("linux", "amd64"), [TestContent.Bytes("app")]);
        var unrelated = await TestContent.PushImageAsync(store, TestContent.ImageConfig("linux", "arm64"), [TestContent.Bytes("app")]);
        var signature = await TestContent.PushReferrerAsync(store, subject, "application/vnd.example.signature", "sig");
        var sbom = await TestContent.PushReferrerAsync(store, subject, "application/vnd.example.sbom", "sbom");
        await TestContent.PushReferrerAsync(store, unrelated, "application/vnd.example.signature", "elsewhere");
        var indexReferrer = await store.PushBytesAsync(MediaTypes.ImageIndex, OciJson.Serialize(new Oci.Index { Subject = subject.Basic(), ArtifactType = "application/vnd.example.bundle" }));

        // A fresh instance has no cached manifests: it must read them from disk.
        using var reopened = await OpenAsync();
        var all = await reopened.FetchReferrersAsync(subject).ToListAsync();
        var signatures = await reopened.FetchReferrersAsync(subject, "application/vnd.example.signature").ToListAsync();

        Assert.Equal(new[] { signature.Digest, sbom.Digest, indexReferrer.Digest }.Order(StringComparer.Ordinal), all.Select(d => d.Digest));
        var only = Assert.Single(signatures);
        Assert.Equal(signature.Digest, only.Digest);
        Assert.Equal(MediaTypes.ImageManifest, only.MediaType);
        Assert.Equal("sig", only.Annotations!["payload"]);
        Assert.Equal("application/vnd.example.bundle", all.Single(d => d.Digest == indexReferrer.Digest).ArtifactType);
        Assert.Empty(await reopened.FetchReferrersAsync(signature).ToListAsync());
    }

    [Fact]
    public async Task TagsListSortedAndAfterLast()
    {
        using var store = await OpenAsync();
        var manifest = await TestContent.PushImageAsync(store, TestContent.ImageConfig("linux", "amd64"), []);
        foreach (var tag in new[] { "v2", "latest", "V1", "v10", "1" })
        {
            await store.TagAsync(manifest, tag);
        }

        Assert.Equal(["1", "V1", "latest", "v10", "v2"], await store.ListTagsAsync().ToListAsync());
        Assert.Equal(["v10", "v2"], await store.ListTagsAsync(last: "latest").ToListAsync());
    }

    [Fact]
    public async Task ManifestsOverTheCapAreNeitherAcceptedNorRead()
    {
        var manifestBytes = OciJson.Serialize(new Manifest { Config = Descriptor.Empty, Annotations = new Dictionary<string, string> { ["pad"] = new string('x', 200) } });
        var manifest = Descriptor.Create(manifestBytes, MediaTypes.ImageManifest);
        using (var roomy = await OpenAsync())
        {
            await roomy.PushAsync(manifest, new MemoryStream(manifestBytes));
        }

        var before = IndexJson;
        using var small = await OpenAsync(new OciLayoutStoreOptions { MaxManifestBytes = 100 });
        var other = Descriptor.Create([.. manifestBytes, (byte)' '], MediaTypes.ImageManifest);

        await Assert.ThrowsAsync<SizeLimitExceededException>(() => small.PushAsync(other, new MemoryStream([.. manifestBytes, (byte)' '])));
        await Assert.ThrowsAsync<SizeLimitExceededException>(() => small.FetchAsync(manifest));
        Assert.Equal(before, IndexJson);
        Assert.False(await small.ExistsAsync(other));
    }

    [Fact]
    public async Task AManifestThatIsNotJsonOfItsKindIsRefused()
    {
        using var store = await OpenAsync();

        await Assert.ThrowsAsync<InvalidDataException>(() => store.PushBytesAsync(MediaTypes.ImageManifest, TestContent.Bytes("""{"layers":"nope"}""")));

        Assert.Equal(EmptyIndex, IndexJson);
        Assert.Empty(_dir.Files("layout/blobs"));
    }

    [Fact]
    public async Task DeleteRemovesTheBlobAndEveryEntryNamingIt()
    {
        using var store = await OpenAsync();
        var kept = await TestContent.PushImageAsync(store, TestContent.ImageConfig("linux", "amd64"), [TestContent.Bytes("kept")]);
        var gone = await TestContent.PushImageAsync(store, TestContent.ImageConfig("linux", "amd64"), [TestContent.Bytes("gone")]);
        await store.TagAsync(gone, "v1");
        await store.TagAsync(gone, "v2");

        await store.DeleteAsync(gone);

        Assert.False(await store.ExistsAsync(gone));
        Assert.Equal([kept.Digest], Entries().Select(e => e.Digest));
        Assert.Empty(await store.ListTagsAsync().ToListAsync());
        await Assert.ThrowsAsync<NotFoundException>(() => store.DeleteAsync(gone));
    }

    [Fact]
    public async Task NoTempFileIsLeftBehindAfterSuccessesAndFailures()
    {
        using var store = await OpenAsync();
        var manifest = await TestContent.PushImageAsync(store, TestContent.ImageConfig("linux", "amd64"), [TestContent.Random(100_000, seed: 1)]);
        await store.TagAsync(manifest, "v1");
        var wrong = TestContent.Describe(TestContent.Bytes("expected"));
        await Assert.ThrowsAsync<ContentVerificationException>(() => store.PushAsync(wrong, new MemoryStream(TestContent.Bytes("delivered"))));
        await Assert.ThrowsAsync<ContentVerificationException>(() => store.PushAsync(wrong with { MediaType = MediaTypes.ImageManifest }, new MemoryStream(TestContent.Bytes("delivered"))));

        var files = _dir.Files();
        Assert.DoesNotContain(files, f => f.EndsWith(".partial", StringComparison.Ordinal));
        Assert.Empty(_dir.Files("layout/.oras-assemble/tmp"));
        Assert.Equal(
            [".oras-assemble", "blobs", "index.json", "oci-layout"],
            Directory.EnumerateFileSystemEntries(LayoutPath).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task OpeningRemovesTempFilesACrashedWriterLeftButNotFreshOnes()
    {
        using (await OpenAsync())
        {
        }

        var tmp = Path.Combine(LayoutPath, ".oras-assemble", "tmp");
        Directory.CreateDirectory(tmp);
        var stale = Path.Combine(tmp, "index.json.0123.partial");
        var fresh = Path.Combine(tmp, "abc.4567.partial");
        await File.WriteAllTextAsync(stale, "{");
        await File.WriteAllTextAsync(fresh, "being written by another process");
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddDays(-1));

        using var reopened = await OpenAsync();

        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(fresh));
    }

    [Fact]
    public async Task ALayoutWithoutIndexJsonReadsAsEmptyAndGetsOneOnFirstPush()
    {
        Directory.CreateDirectory(LayoutPath);
        await File.WriteAllTextAsync(Path.Combine(LayoutPath, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");
        using var store = await OpenAsync(new OciLayoutStoreOptions { CreateIfMissing = false });

        Assert.Empty(await store.ListTagsAsync().ToListAsync());
        var manifest = await TestContent.PushImageAsync(store, TestContent.ImageConfig("linux", "amd64"), []);

        Assert.Equal([manifest.Digest], Entries().Select(e => e.Digest));
    }

    [Fact]
    public async Task FetchVerifiesBlobsOtherToolsWrote()
    {
        using var store = await OpenAsync();
        var content = TestContent.Bytes("written by someone else");
        var descriptor = TestContent.Describe(content);
        var path = Path.Combine(LayoutPath, "blobs", "sha256", Digest.Encoded(descriptor.Digest));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, "WRITTEN BY SOMEONE ELSE"); // same length, wrong bytes

        await Assert.ThrowsAsync<ContentVerificationException>(() => TestContent.ReadAllAsync(store, descriptor));
    }

    private Descriptor WriteBlob(byte[] content, string mediaType)
    {
        var descriptor = Descriptor.Create(content, mediaType);
        File.WriteAllBytes(Path.Combine(LayoutPath, "blobs", "sha256", Digest.Encoded(descriptor.Digest)), content);
        return descriptor;
    }

    private List<Descriptor> Entries() => OciJson.Deserialize<Oci.Index>(Encoding.UTF8.GetBytes(IndexJson), "index.json").Manifests.ToList();

    private static string? RefName(Descriptor d) => d.Annotations?.GetValueOrDefault(Annotations.RefName);
}

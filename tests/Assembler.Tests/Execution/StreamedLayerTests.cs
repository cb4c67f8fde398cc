using System.Runtime.Versioning;
using OrasAssemble.Cache;
using OrasAssemble.Execution;
using OrasAssemble.Oci;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Spec;
using OrasAssemble.Spec.Parsing;
using OrasAssemble.Tests.Content;
using OrasAssemble.Tests.Registry.Remote;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Execution;

/// <summary>
/// Image layers applied while they download, against the in-process faulty registry: extraction starts before a
/// layer's last byte arrives, each byte is hashed once, and a layer that turns out wrong or breaks off leaves nothing.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class StreamedLayerTests : FaultyRegistryTests, IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private readonly TempDirectory _dir = new();

    private string CacheRoot => _dir.Combine("cache");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_layer_is_applied_while_it_downloads_so_its_first_files_are_on_disk_before_its_last_byte_is_sent()
    {
        var (spec, layers) = AddImage("early", Layer("first.txt", "written first", "zz-big.bin", 2 * 1024 * 1024));
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Server.Fault = async (context, _) =>
        {
            if (!context.Request.Path.Value!.EndsWith(layers[0].Digest, StringComparison.Ordinal) || context.Request.Method != "GET")
            {
                return false;
            }

            var blob = Server.Blobs[layers[0].Digest];
            context.Response.ContentType = "application/octet-stream";
            context.Response.ContentLength = blob.Length;
            await context.Response.Body.WriteAsync(blob.AsMemory(0, blob.Length / 2));
            await context.Response.Body.FlushAsync();
            await held.Task.WaitAsync(Wait);
            await context.Response.Body.WriteAsync(blob.AsMemory(blob.Length / 2));
            return true;
        };

        var assembling = Executor().AssembleAsync(spec);
        var early = await PollAsync(() => Directory.EnumerateFiles(Path.Join(CacheRoot, "tmp"), "first.txt", SearchOption.AllDirectories).FirstOrDefault());
        var textBeforeTheEnd = await File.ReadAllTextAsync(early!);
        held.SetResult();
        var tree = await assembling.WaitAsync(Wait);

        Assert.Equal("written first", textBeforeTheEnd);
        Assert.Equal("written first", await File.ReadAllTextAsync(Path.Join(tree.Path, "first.txt")));
        Assert.Equal(Server.Blobs[layers[0].Digest], await File.ReadAllBytesAsync(new Cache(CacheRoot).BlobPath(layers[0])));
    }

    [Fact]
    public async Task Every_byte_the_registry_sends_is_hashed_once_and_the_layers_stay_in_the_cache_for_the_next_build()
    {
        var (spec, layers) = AddImage("once",
            Layer("bin/tool", "tool v1", "bin/data", 700_000),
            Layer("bin/tool", "tool v2", "lib/data", 900_000));
        using var meter = new VerifiedBytesMeter();

        var tree = await Executor().AssembleAsync(spec);

        var sent = Server.Requests.Where(r => r.Method == "GET").Sum(r => SentBytes(r.Path));
        Assert.Equal(sent, meter.Bytes);
        Assert.Equal("tool v2", await File.ReadAllTextAsync(Path.Join(tree.Path, "bin/tool")));
        Assert.All(layers, layer => Assert.Equal(Server.Blobs[layer.Digest], File.ReadAllBytes(new Cache(CacheRoot).BlobPath(layer))));

        // Another spec over the same image is built from the cache's blobs: no layer is asked for again.
        var blobGets = Server.Count("GET", "/v2/once/img/blobs/");
        var again = await Executor().AssembleAsync(SpecFor("once", "- copy: { from: img, path: /lib, to: /lib }"));
        Assert.Equal(blobGets, Server.Count("GET", "/v2/once/img/blobs/"));
        Assert.Equal(Content(900_000), await File.ReadAllBytesAsync(Path.Join(again.Path, "lib/data")));
    }

    [Fact]
    public async Task A_layer_whose_last_byte_is_flipped_is_refused_by_name_and_leaves_nothing_in_the_cache()
    {
        var (spec, layers) = AddImage("flipped",
            Layer("a.txt", "lower", "a.bin", 300_000),
            Layer("b.txt", "upper", "b.bin", 300_000));
        var bad = layers[1];
        Server.Fault = async (context, _) =>
        {
            if (!context.Request.Path.Value!.EndsWith(bad.Digest, StringComparison.Ordinal) || context.Request.Method != "GET")
            {
                return false;
            }

            var corrupt = (byte[])Server.Blobs[bad.Digest].Clone();
            corrupt[^1] ^= 0x01;
            context.Response.ContentType = "application/octet-stream";
            context.Response.ContentLength = corrupt.Length;
            await context.Response.Body.WriteAsync(corrupt);
            return true;
        };

        var error = await Assert.ThrowsAsync<AssemblyException>(() => Executor().AssembleAsync(spec));

        Assert.Equal($"sources.img: fetching layer {bad.Digest}: digest mismatch: expected {bad.Digest}, got "
            + Digest.ComputeSha256(Flipped(Server.Blobs[bad.Digest])), error.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Join(CacheRoot, "tmp")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Join(CacheRoot, "trees")));
        Assert.DoesNotContain(new Cache(CacheRoot).BlobPath(bad), BlobFiles());
    }

    [Fact]
    public async Task A_layer_download_that_breaks_off_half_way_resumes_where_it_stopped_and_the_tree_is_whole()
    {
        var (spec, layers) = AddImage("resumed", Layer("a.txt", "whole", "a.bin", 1024 * 1024));
        var blob = Server.Blobs[layers[0].Digest];
        var dropped = 0;
        Server.Fault = async (context, _) =>
        {
            if (!context.Request.Path.Value!.EndsWith(layers[0].Digest, StringComparison.Ordinal) || context.Request.Method != "GET"
                || Interlocked.Exchange(ref dropped, 1) == 1)
            {
                return false;
            }

            context.Response.ContentType = "application/octet-stream";
            context.Response.ContentLength = blob.Length;
            await context.Response.Body.WriteAsync(blob.AsMemory(0, blob.Length / 2));
            await context.Response.Body.FlushAsync();
            context.Abort();
            return true;
        };

        var tree = await Executor().AssembleAsync(spec);

        Assert.Equal("whole", await File.ReadAllTextAsync(Path.Join(tree.Path, "a.txt")));
        Assert.Equal(Content(1024 * 1024), await File.ReadAllBytesAsync(Path.Join(tree.Path, "a.bin")));
        var gets = Server.Requests.Where(r => r.Method == "GET" && r.Path.EndsWith(layers[0].Digest, StringComparison.Ordinal)).ToList();
        Assert.Equal(2, gets.Count);
        Assert.Null(gets[0].Range);
        Assert.Matches(@"^bytes=[1-9]\d*-$", gets[1].Range!);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Join(CacheRoot, "tmp")));
    }

    [Fact]
    public async Task A_layer_download_that_keeps_breaking_off_is_refused_by_name_and_leaves_nothing_in_the_cache()
    {
        var (spec, layers) = AddImage("broken", Layer("a.txt", "never", "a.bin", 1024 * 1024));
        var blob = Server.Blobs[layers[0].Digest];
        Server.Fault = async (context, _) =>
        {
            if (!context.Request.Path.Value!.EndsWith(layers[0].Digest, StringComparison.Ordinal) || context.Request.Method != "GET")
            {
                return false;
            }

            context.Response.ContentType = "application/octet-stream";
            context.Response.ContentLength = blob.Length;
            await context.Response.Body.WriteAsync(blob.AsMemory(0, 64 * 1024));
            await context.Response.Body.FlushAsync();
            context.Abort();
            return true;
        };

        var error = await Assert.ThrowsAsync<AssemblyException>(() => Executor().AssembleAsync(spec));

        Assert.StartsWith($"sources.img: fetching layer {layers[0].Digest}: ", error.Message, StringComparison.Ordinal);
        AssertCacheEmpty();
    }

    [Fact]
    public async Task A_layer_that_reads_as_unsafe_before_its_download_ends_is_refused_for_its_digest_which_it_does_not_match()
    {
        // What a lying mirror might send: a valid layer of the right size that is not the one asked for, whose first
        // entry leaves the tree. The bytes the reader saw are not the layer's, so the error is the digest's.
        var (spec, layers) = AddImage("substituted", Layer("a.txt", "the real one", "a.bin", 1024 * 1024));
        var asked = layers[0];
        var substitute = new byte[asked.Size];
        new TarBuilder().File("../escaped.txt", "outside").ToGzip().CopyTo(substitute, 0);
        Server.Fault = async (context, _) =>
        {
            if (!context.Request.Path.Value!.EndsWith(asked.Digest, StringComparison.Ordinal) || context.Request.Method != "GET")
            {
                return false;
            }

            context.Response.ContentType = "application/octet-stream";
            context.Response.ContentLength = substitute.Length;
            await context.Response.Body.WriteAsync(substitute.AsMemory(0, substitute.Length - 64 * 1024));
            await context.Response.Body.FlushAsync();
            // Time for the reader to meet the entry while the last bytes are still to come.
            await Task.Delay(TimeSpan.FromSeconds(3));
            await context.Response.Body.WriteAsync(substitute.AsMemory(substitute.Length - 64 * 1024));
            return true;
        };

        var error = await Assert.ThrowsAsync<AssemblyException>(() => Executor().AssembleAsync(spec).WaitAsync(Wait));

        Assert.Equal($"sources.img: fetching layer {asked.Digest}: digest mismatch: expected {asked.Digest}, got {Digest.ComputeSha256(substitute)}",
            error.Message);
        AssertCacheEmpty();
    }

    [Fact]
    public async Task A_layer_download_that_stalls_is_refused_by_name_after_the_stall_timeout_and_leaves_nothing_in_the_cache()
    {
        var (spec, layers) = AddImage("stalled", Layer("a.txt", "never whole", "a.bin", 1024 * 1024));
        var released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        SendHalfUntil(layers[0], released, thenTheRest: false);

        try
        {
            var executor = Executor(new ExecutorOptions { Concurrency = 2, StallTimeout = TimeSpan.FromSeconds(1) });
            var error = await Assert.ThrowsAsync<AssemblyException>(() => executor.AssembleAsync(spec).WaitAsync(Wait));

            Assert.Equal($"sources.img: the download of blob {layers[0].Digest} wrote nothing for 1 s", error.Message);
            AssertCacheEmpty();
        }
        finally
        {
            released.TrySetResult();
        }
    }

    [Fact]
    public async Task A_caller_that_stops_waiting_while_a_layer_downloads_leaves_the_build_to_finish_for_the_next_without_a_second_fetch()
    {
        var (spec, layers) = AddImage("abandoned", Layer("a.txt", "finished anyway", "a.bin", 1024 * 1024));
        var released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        SendHalfUntil(layers[0], released, thenTheRest: true);

        var executor = Executor();
        using var cancel = new CancellationTokenSource();
        var abandoned = executor.AssembleAsync(spec, cancel.Token);
        await PollAsync(() => Directory.EnumerateFiles(Path.Join(CacheRoot, "tmp"), "a.txt", SearchOption.AllDirectories).FirstOrDefault());
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned.WaitAsync(Wait));
        released.SetResult();
        var tree = await executor.AssembleAsync(spec).WaitAsync(Wait);

        Assert.Equal("finished anyway", await File.ReadAllTextAsync(Path.Join(tree.Path, "a.txt")));
        Assert.Equal(Content(1024 * 1024), await File.ReadAllBytesAsync(Path.Join(tree.Path, "a.bin")));
        Assert.Equal(1, Server.Requests.Count(r => r.Method == "GET" && r.Path.EndsWith(layers[0].Digest, StringComparison.Ordinal)));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Join(CacheRoot, "tmp")));
    }

    /// <summary>Nothing of a build left in the cache: no temporary file, no tree, no blob.</summary>
    private void AssertCacheEmpty()
    {
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Join(CacheRoot, "tmp")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Join(CacheRoot, "trees")));
        Assert.Empty(BlobFiles());
    }

    /// <summary>GETs of the layer send its headers and first half, then wait for <paramref name="released"/>; then the rest, or nothing more.</summary>
    private void SendHalfUntil(Descriptor layer, TaskCompletionSource released, bool thenTheRest) =>
        Server.Fault = async (context, _) =>
        {
            if (!context.Request.Path.Value!.EndsWith(layer.Digest, StringComparison.Ordinal) || context.Request.Method != "GET")
            {
                return false;
            }

            var blob = Server.Blobs[layer.Digest];
            context.Response.ContentType = "application/octet-stream";
            context.Response.ContentLength = blob.Length;
            await context.Response.Body.WriteAsync(blob.AsMemory(0, blob.Length / 2));
            await context.Response.Body.FlushAsync();
            await released.Task.WaitAsync(Wait);
            if (thenTheRest)
            {
                await context.Response.Body.WriteAsync(blob.AsMemory(blob.Length / 2));
            }

            return true;
        };

    private SpecExecutor Executor(ExecutorOptions? options = null) =>
        new(TreeCache.Open(new CacheOptions { Root = CacheRoot }), new RegistryTargetLocator(Client), options ?? new ExecutorOptions { Concurrency = 2 });

    private IEnumerable<string> BlobFiles() =>
        Directory.Exists(Path.Join(CacheRoot, "blobs")) ? Directory.EnumerateFiles(Path.Join(CacheRoot, "blobs"), "*", SearchOption.AllDirectories) : [];

    private long SentBytes(string path)
    {
        var last = path.Split('/')[^1];
        return Server.Blobs.TryGetValue(last, out var blob) ? blob.Length
            : Server.Manifests.TryGetValue(last, out var manifest) ? manifest.Content.Length
            : 0;
    }

    /// <summary>Adds an image (its layers tar+gzip) to the registry as <c>&lt;name&gt;/img:1.0</c>.</summary>
    private (ValidSpec Spec, IReadOnlyList<Descriptor> Layers) AddImage(string name, params TarBuilder[] layers)
    {
        var added = layers.Select(l => Server.AddBlob(l.ToGzip(), MediaTypes.ImageLayerGzip)).ToList();
        var config = Server.AddBlob("""{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{}}"""u8.ToArray(), MediaTypes.ImageConfig);
        Server.AddManifest("1.0", OciJson.Serialize(new Manifest { Config = config, Layers = added }));
        return (SpecFor(name, "- copy: { from: img, path: /, to: / }"), added);
    }

    private ValidSpec SpecFor(string name, string step) => SpecDocument.Load($$"""
        apiVersion: assemble.oras.land/v1
        kind: Assembly
        metadata: { name: {{name}} }
        sources:
          img: { ref: "{{Server.Host}}/{{name}}/img:1.0", platform: linux/amd64 }
        steps:
          {{step}}
        """).GetValidSpec();

    /// <summary>A small text file, then a file of <paramref name="size"/> bytes that gzip cannot shrink.</summary>
    private static TarBuilder Layer(string text, string content, string big, int size) =>
        new TarBuilder().File(text, content).File(big, new MemoryStream(Content(size)));

    private static byte[] Content(int size)
    {
        var bytes = new byte[size];
        new Random(size).NextBytes(bytes);
        return bytes;
    }

    private static byte[] Flipped(byte[] blob)
    {
        var copy = (byte[])blob.Clone();
        copy[^1] ^= 0x01;
        return copy;
    }

    private static async Task<string?> PollAsync(Func<string?> find)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (DateTime.UtcNow < deadline)
        {
            if (find() is { } found)
            {
                return found;
            }

            await Task.Delay(20);
        }

        Assert.Fail($"nothing appeared within {Wait}");
        return null;
    }

    private sealed class Cache(string root)
    {
        public string BlobPath(Descriptor blob) => Path.Join(root, "blobs", "sha256", Digest.Encoded(blob.Digest));
    }
}

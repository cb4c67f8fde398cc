using System.Formats.Tar;
using System.IO.Compression;
using Microsoft.AspNetCore.Http;
using OrasAssemble.Cli.Tests.TestSupport;
using OrasAssemble.Oci;
using OrasAssemble.Tests.Registry.Remote;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Cli.Tests;

/// <summary>
/// Kills <c>oras-assemble assemble</c> (SIGKILL, no chance to clean up) while it downloads and while it unpacks,
/// then runs it again: the rerun must give the correct tree, and the cache must never have held a half tree.
/// </summary>
public sealed class CrashSafetyTests : IAsyncLifetime, IDisposable
{
    private readonly TempDirectory _temp = new();
    private FaultyRegistry _registry = null!;

    public async Task InitializeAsync() => _registry = await FaultyRegistry.StartAsync();

    public async Task DisposeAsync() => await _registry.DisposeAsync();

    public void Dispose() => _temp.Dispose();

    private string Cache => _temp.Combine("cache");

    private string WriteSpec(string tag)
    {
        var path = _temp.Combine($"{tag}.yaml");
        File.WriteAllText(path, $$"""
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: crash }
            sources:
              app: { ref: {{_registry.Host}}/crash/app:{{tag}} }
            steps:
              - copy: { from: app, path: /, to: /app/ }
            """);
        return path;
    }

    /// <summary>An image of one gzip layer holding <paramref name="files"/> files of <paramref name="size"/> bytes.</summary>
    private (byte[] Layer, Dictionary<string, byte[]> Files) ImageWith(string tag, int files, int size)
    {
        var expected = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        using var tar = new MemoryStream();
        using (var gzip = new GZipStream(tar, CompressionLevel.Fastest, leaveOpen: true))
        using (var writer = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
        {
            var random = new Random(files);
            for (var i = 0; i < files; i++)
            {
                var bytes = new byte[size];
                random.NextBytes(bytes);
                var name = $"d{i % 50}/f{i}.bin";
                expected[name] = bytes;
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(bytes), Mode = (UnixFileMode)0x1A4 });
            }
        }

        var layer = tar.ToArray();
        var layerDescriptor = _registry.AddBlob(layer, MediaTypes.ImageLayerGzip);
        var config = _registry.AddBlob("""{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"""u8.ToArray(), MediaTypes.ImageConfig);
        _registry.AddManifest(tag, OciJson.Serialize(new Manifest { Config = config, Layers = [layerDescriptor] }));
        return (layer, expected);
    }

    private async Task AssertRerunGivesTheTreeAsync(string spec, Dictionary<string, byte[]> files)
    {
        Assert.Empty(Directory.Exists(Path.Combine(Cache, "trees")) ? Directory.EnumerateFileSystemEntries(Path.Combine(Cache, "trees")) : []);

        var rerun = await CliProcess.RunAsync("assemble", "--plain-http", spec, "--out", _temp.Combine("out"), "--cache", Cache);

        Assert.True(rerun.ExitCode == 0, rerun.Stderr);
        foreach (var (name, bytes) in files)
        {
            Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(_temp.Combine("out"), "app", name)));
        }

        Assert.Equal(files.Count, Directory.EnumerateFiles(_temp.Combine("out"), "*", SearchOption.AllDirectories).Count());
        Assert.Single(Directory.EnumerateDirectories(Path.Combine(Cache, "trees")));

        // The killed run's half-built tree, staging directory and partial blob went as soon as the cache was opened
        // again (their locks were free), not an hour later: a crash loop does not grow the disk.
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(Cache, "tmp")));
    }

    [Fact]
    public async Task Killed_mid_download_the_next_run_builds_the_correct_tree()
    {
        var (layer, files) = ImageWith("download", files: 40, size: 100_000);
        var sent = 0L;
        var half = new TaskCompletionSource();
        _registry.Fault = async (context, _) =>
        {
            if (!context.Request.Path.Value!.EndsWith(Digest.ComputeSha256(layer), StringComparison.Ordinal))
            {
                return false;
            }

            // Trickle the layer out; once half of it is across, the test kills the client.
            context.Response.ContentType = "application/octet-stream";
            context.Response.ContentLength = layer.Length;
            for (var offset = 0; offset < layer.Length; offset += 32 * 1024)
            {
                var chunk = layer.AsMemory(offset, Math.Min(32 * 1024, layer.Length - offset));
                await context.Response.Body.WriteAsync(chunk, context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
                if (Interlocked.Add(ref sent, chunk.Length) > layer.Length / 2)
                {
                    half.TrySetResult();
                }

                await Task.Delay(20, context.RequestAborted);
            }

            return true;
        };
        var spec = WriteSpec("download");

        using (var process = CliProcess.Start("assemble", "--plain-http", spec, "--out", _temp.Combine("killed"), "--cache", Cache))
        {
            await half.Task.WaitAsync(TimeSpan.FromSeconds(60));
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        _registry.Fault = null;
        Assert.False(Directory.Exists(_temp.Combine("killed")));
        await AssertRerunGivesTheTreeAsync(spec, files);
    }

    [Fact]
    public async Task Killed_mid_unpack_the_next_run_builds_the_correct_tree()
    {
        var (layer, files) = ImageWith("unpack", files: 4000, size: 2_000);
        var spec = WriteSpec("unpack");

        using (var process = CliProcess.Start("assemble", "--plain-http", spec, "--out", _temp.Combine("killed"), "--cache", Cache))
        {
            // "have <digest>" is printed once the blob is in the cache: unpacking starts right after.
            var have = $"have {Digest.ComputeSha256(layer)}";
            string? line;
            while ((line = await process.StandardError.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60))) is not null && !line.Contains(have, StringComparison.Ordinal))
            {
            }

            Assert.NotNull(line);
            await WaitForUnpackingAsync();
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        Assert.NotEmpty(Directory.EnumerateDirectories(Path.Combine(Cache, "tmp")));
        await AssertRerunGivesTheTreeAsync(spec, files);
    }

    /// <summary>Waits until the unpack has written some files into its staging directory, so the kill lands mid-way.</summary>
    private async Task WaitForUnpackingAsync()
    {
        var tmp = Path.Combine(Cache, "tmp");
        for (var i = 0; i < 500; i++)
        {
            if (Directory.Exists(tmp) && Directory.EnumerateFiles(tmp, "f*.bin", SearchOption.AllDirectories).Take(10).Count() >= 10)
            {
                return;
            }

            await Task.Delay(5);
        }
    }
}

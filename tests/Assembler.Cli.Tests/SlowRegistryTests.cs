using System.Formats.Tar;
using System.IO.Compression;
using System.Text.RegularExpressions;
using OrasAssemble.Cli.Tests.TestSupport;
using OrasAssemble.Oci;
using OrasAssemble.Tests.Registry.Remote;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Cli.Tests;

/// <summary>
/// <c>oras-assemble assemble</c> against a registry that sends a layer's headers and then trickles it: the
/// <c>transfer:</c> section of <c>--config</c> bounds the stall, the CLI says it retries, and the tree is right.
/// </summary>
public sealed class SlowRegistryTests : IAsyncLifetime, IDisposable
{
    private readonly TempDirectory _temp = new();
    private FaultyRegistry _registry = null!;

    public async Task InitializeAsync() => _registry = await FaultyRegistry.StartAsync();

    public async Task DisposeAsync() => await _registry.DisposeAsync();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_trickled_layer_is_abandoned_at_the_configured_idle_timeout_resumed_and_the_retry_is_reported()
    {
        var bytes = new byte[300_000];
        new Random(7).NextBytes(bytes);
        using var tar = new MemoryStream();
        using (var gzip = new GZipStream(tar, CompressionLevel.Fastest, leaveOpen: true))
        using (var writer = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "data.bin") { DataStream = new MemoryStream(bytes), Mode = (UnixFileMode)0x1A4 });
        }

        var layer = _registry.AddBlob(tar.ToArray(), MediaTypes.ImageLayerGzip);
        var config = _registry.AddBlob("""{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"""u8.ToArray(), MediaTypes.ImageConfig);
        _registry.AddManifest("v1", OciJson.Serialize(new Manifest { Config = config, Layers = [layer] }));
        var trickled = 0;
        _registry.Fault = async (context, _) =>
        {
            if (!context.Request.Path.Value!.EndsWith(layer.Digest, StringComparison.Ordinal) || Interlocked.Exchange(ref trickled, 1) == 1)
            {
                return false;
            }

            // The headers of the whole layer, then a byte every 100 ms until the client hangs up.
            context.Response.ContentType = "application/octet-stream";
            context.Response.ContentLength = layer.Size;
            var content = _registry.Blobs[layer.Digest];
            try
            {
                for (var i = 0; i < content.Length; i++)
                {
                    await context.Response.Body.WriteAsync(content.AsMemory(i, 1), context.RequestAborted);
                    await context.Response.Body.FlushAsync(context.RequestAborted);
                    await Task.Delay(100, context.RequestAborted);
                }
            }
            catch (OperationCanceledException)
            {
            }

            return true;
        };
        var spec = _temp.Combine("spec.yaml");
        await File.WriteAllTextAsync(spec, $$"""
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: slow }
            sources:
              app: { ref: {{_registry.Host}}/slow/app:v1 }
            steps:
              - copy: { from: app, path: /, to: /app/ }
            """);
        var settings = _temp.Combine("config.yaml");
        await File.WriteAllTextAsync(settings, """
            registries:
              "127.0.0.1:*": { plainHttp: true }
            transfer:
              idleTimeout: 1s
            """);

        var run = await CliProcess.RunAsync("assemble", "--config", settings, spec, "--out", _temp.Combine("out"), "--cache", _temp.Combine("cache"));

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(_temp.Combine("out", "app", "data.bin")));
        Assert.Matches(
            new Regex($@"^Retrying blob {layer.Digest} from {Regex.Escape(_registry.Host)}: attempt 2 of 6 in 0s after the registry sent only \d+ bytes in 1s \(transfer\.idleTimeout\) at byte \d+ of {layer.Size}$", RegexOptions.Multiline),
            run.Stderr);
        var layerGets = _registry.Requests.Where(r => r.Method == "GET" && r.Path.EndsWith(layer.Digest, StringComparison.Ordinal)).ToList();
        Assert.Equal(2, layerGets.Count);
        Assert.Matches(@"^bytes=[1-9][0-9]*-$", layerGets[1].Range!);
    }
}

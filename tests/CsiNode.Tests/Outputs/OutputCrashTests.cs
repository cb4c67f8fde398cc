using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using OrasAssemble.CsiNode.Tests.TestSupport;
using OrasAssemble.Oci;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Tests.Fixtures;
using OrasAssemble.Tests.TestSupport;
using static OrasAssemble.CsiNode.Tests.Outputs.OutputVolumeDriver;

namespace OrasAssemble.CsiNode.Tests.Outputs;

/// <summary>The built plugin killed with SIGKILL between an output's unpublish and its push, then started again.</summary>
public sealed class OutputCrashTests(AnonymousRegistryFixture fixture) : IClassFixture<AnonymousRegistryFixture>, IAsyncLifetime
{
    private static readonly string Binary = Path.Combine(AppContext.BaseDirectory, "oras-assemble-csi.dll");
    private readonly TempDirectory _dir = new();
    private readonly RegistryClient _registry = new(new RegistryClientOptions { Hosts = TestHosts.PlainHttp });
    private GatedRegistryProxy? _proxy;

    public async Task InitializeAsync() => _proxy = await GatedRegistryProxy.StartAsync(fixture.Server.BaseUri);

    public async Task DisposeAsync()
    {
        if (_proxy is not null)
        {
            await _proxy.DisposeAsync();
        }

        _registry.Dispose();
        MountTable.UnmountAllUnder(_dir.Path);
        _dir.Dispose();
    }

    [Fact]
    public async Task An_output_queued_by_a_killed_plugin_is_pushed_once_by_the_next_one()
    {
        var proxy = _proxy!;
        var (socket, flags) = await PluginFlagsAsync();
        var pod = TestPod.Create("crash-0");
        proxy.Unreachable = true;
        using (var first = Start(flags))
        {
            try
            {
                await WaitForSocketAsync(socket, first);
                using var grpc = new GrpcSocketClient(socket);
                var kubelet = new KubeletClient(grpc, _dir.Combine("kubelet"));
                var target = await kubelet.PublishWritableAsync(pod, Output($"{proxy.Host}/wf/crash:{{pod.name}}"));
                await File.WriteAllTextAsync(Path.Combine(target, "result.txt"), "survives SIGKILL");
                await kubelet.UnpublishAsync(pod);
            }
            finally
            {
                first.Kill();
                await first.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
            }
        }

        var outbox = Directory.GetDirectories(_dir.Combine("cache", "node", "outputs", "outbox"));
        Assert.Equal("survives SIGKILL", await File.ReadAllTextAsync(Path.Combine(Assert.Single(outbox), "data", "result.txt")));
        proxy.Unreachable = false;

        using var second = Start(flags);
        try
        {
            await WaitForSocketAsync(socket, second);
            var (manifest, _) = await WaitForManifestAsync(_registry, $"{fixture.Server.Host}/wf/crash:crash-0");
            Assert.Equal("crash-node", manifest.Annotations!["land.oras.assemble.output.node"]);
            Assert.Equal("result.txt", Assert.Single(manifest.Layers).Annotations![Annotations.Title]);
            await WaitForAsync(() => Task.FromResult(Directory.GetDirectories(_dir.Combine("cache", "node", "outputs", "outbox")).Length == 0), "the outbox to empty");
        }
        finally
        {
            using var term = Process.Start("kill", ["-TERM", second.Id.ToString(CultureInfo.InvariantCulture)]);
            await term.WaitForExitAsync();
            await second.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        }

        Assert.Equal(1, fixture.Server.Count("PUT", new Regex("^/v2/wf/crash/manifests/")));
    }

    [Fact]
    public async Task A_plugin_killed_while_it_uploads_an_output_leaves_it_queued_and_the_next_one_pushes_it_once()
    {
        var proxy = _proxy!;
        var (socket, flags) = await PluginFlagsAsync();
        var pod = TestPod.Create("inflight-0");
        proxy.HoldUploads();
        using (var first = Start(flags))
        {
            try
            {
                await WaitForSocketAsync(socket, first);
                using var grpc = new GrpcSocketClient(socket);
                var kubelet = new KubeletClient(grpc, _dir.Combine("kubelet"));
                var target = await kubelet.PublishWritableAsync(pod, Output($"{proxy.Host}/wf/inflight:{{pod.name}}"));
                await File.WriteAllTextAsync(Path.Combine(target, "result.txt"), "pushed after the crash");
                Directory.CreateDirectory(Path.Combine(target, "logs"));
                await File.WriteAllTextAsync(Path.Combine(target, "logs", "run.log"), "step done\n");
                await kubelet.UnpublishAsync(pod);

                // The push has begun and its first blob's bytes are on the wire, held by the registry's link.
                await proxy.UploadArrived.WaitAsync(Patience);
            }
            finally
            {
                first.Kill();
                await first.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
            }
        }

        proxy.ReleaseUploads();
        Assert.Equal(0, fixture.Server.Count("PUT", new Regex("^/v2/wf/inflight/manifests/")));
        var outbox = _dir.Combine("cache", "node", "outputs", "outbox");
        Assert.Equal("pushed after the crash", await File.ReadAllTextAsync(Path.Combine(Assert.Single(Directory.GetDirectories(outbox)), "data", "result.txt")));

        using var second = Start(flags);
        try
        {
            await WaitForSocketAsync(socket, second);
            var reference = $"{fixture.Server.Host}/wf/inflight:inflight-0";
            var (manifest, _) = await WaitForManifestAsync(_registry, reference);
            Assert.Equal(["logs", "result.txt"], manifest.Layers.Select(l => l.Annotations![Annotations.Title]));
            var logs = await TarEntriesAsync(_registry, reference, manifest.Layers[0]);
            Assert.Equal("step done\n", new StreamReader(logs["logs/run.log"].DataStream!).ReadToEnd());
            await WaitForAsync(() => Task.FromResult(Directory.GetDirectories(outbox).Length == 0), "the outbox to empty");
        }
        finally
        {
            using var term = Process.Start("kill", ["-TERM", second.Id.ToString(CultureInfo.InvariantCulture)]);
            await term.WaitForExitAsync();
            await second.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        }

        Assert.Equal(1, fixture.Server.Count("PUT", new Regex("^/v2/wf/inflight/manifests/")));
        Assert.Empty(Directory.GetFileSystemEntries(_dir.Combine("cache", "node", "outputs", "tmp")));
    }

    /// <summary>The plugin's command line, with a config that reaches the test registries over plain HTTP and retries pushes fast.</summary>
    private async Task<(string Socket, string[] Flags)> PluginFlagsAsync()
    {
        var socket = _dir.Combine("plugin", "csi.sock");
        var config = _dir.Combine("config.yaml");
        await File.WriteAllTextAsync(config, "registries:\n  \"127.0.0.1:*\": { plainHttp: true }\noutputs: { retryInitial: 200ms, retryMax: 1s }\n");
        return (socket, ["--endpoint", $"unix://{socket}", "--root", _dir.Combine("cache"), "--metrics-addr", "", "--config", config, "--node-id", "crash-node"]);
    }

    private static Process Start(string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Binary);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;

        // Drained so a chatty plugin never blocks on a full pipe.
        process.OutputDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        return process;
    }

    private static async Task WaitForSocketAsync(string socket, Process process)
    {
        var clock = Stopwatch.StartNew();
        while (!File.Exists(socket))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"the plugin exited with {process.ExitCode}: {await process.StandardError.ReadToEndAsync()}");
            }

            if (clock.Elapsed > Patience)
            {
                throw new TimeoutException("the plugin did not open its socket");
            }

            await Task.Delay(50);
        }
    }
}

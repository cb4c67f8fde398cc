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
        var socket = _dir.Combine("plugin", "csi.sock");
        var config = _dir.Combine("config.yaml");
        await File.WriteAllTextAsync(config, "registries:\n  \"127.0.0.1:*\": { plainHttp: true }\noutputs: { retryInitial: 200ms, retryMax: 1s }\n");
        string[] flags = ["--endpoint", $"unix://{socket}", "--root", _dir.Combine("cache"), "--metrics-addr", "", "--config", config, "--node-id", "crash-node"];
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

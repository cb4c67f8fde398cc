using System.Diagnostics;
using OrasAssemble.CsiNode.Csi;
using OrasAssemble.CsiNode.Tests.TestSupport;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.CsiNode.Tests.Hosting;

/// <summary>The built <c>oras-assemble-csi</c> as a process, started with the flags a DaemonSet gives it.</summary>
public sealed class PluginProcessTests : IDisposable
{
    private static readonly string Binary = Path.Combine(AppContext.BaseDirectory, "oras-assemble-csi.dll");
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static Process Start(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Binary);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["NODE_NAME"] = "node-from-env";
        return Process.Start(start)!;
    }

    [Fact]
    public async Task The_plugin_serves_on_its_socket_logs_json_lines_and_stops_cleanly_on_sigterm()
    {
        var socket = _dir.Combine("plugin", "csi.sock");
        var config = _dir.Combine("config.yaml");
        await File.WriteAllTextAsync(config, "registries:\n  \"127.0.0.1:*\": { plainHttp: true }\ncache: { budget: 1Gi }\n");
        using var process = Start("--endpoint", $"unix://{socket}", "--root", _dir.Combine("cache"), "--metrics-addr", "127.0.0.1:0", "--config", config);
        var stdout = process.StandardOutput.ReadToEndAsync();
        try
        {
            await WaitForAsync(() => File.Exists(socket), process);
            using var client = new GrpcSocketClient(socket);

            var probe = await client.CallAsync<ProbeResponse>("/csi.v1.Identity/Probe", new ProbeRequest());
            var info = await client.CallAsync<NodeGetInfoResponse>("/csi.v1.Node/NodeGetInfo", new NodeGetInfoRequest());

            Assert.True(probe.Ready);
            Assert.Equal("node-from-env", info.NodeId);
        }
        finally
        {
            using var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        }

        Assert.Equal(0, process.ExitCode);
        var lines = (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(lines, line => Assert.StartsWith("{", line, StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Contains("\"EventId\":1,", StringComparison.Ordinal) && line.Contains("node-from-env", StringComparison.Ordinal));
        Assert.False(File.Exists(socket));
    }

    [Fact]
    public async Task Wrong_flags_or_a_wrong_config_stop_the_start_with_exit_code_2_and_a_clear_message()
    {
        var config = _dir.Combine("config.yaml");
        await File.WriteAllTextAsync(config, "cache: { budget: lots }\n");

        using var badConfig = Start("--root", _dir.Combine("cache"), "--config", config);
        using var badFlags = Start("--root", "relative/dir", "--metrics-addr", "nowhere", "--driver-name", "-bad-");
        var configError = await badConfig.StandardError.ReadToEndAsync();
        var flagErrors = await badFlags.StandardError.ReadToEndAsync();
        await badConfig.WaitForExitAsync();
        await badFlags.WaitForExitAsync();

        Assert.Equal(2, badConfig.ExitCode);
        Assert.Contains("config.yaml:1:18: cache.budget must be a size", configError, StringComparison.Ordinal);
        Assert.Equal(2, badFlags.ExitCode);
        Assert.Contains("--root", flagErrors, StringComparison.Ordinal);
        Assert.Contains("--metrics-addr", flagErrors, StringComparison.Ordinal);
        Assert.Contains("--driver-name", flagErrors, StringComparison.Ordinal);
    }

    private static async Task WaitForAsync(Func<bool> condition, Process process)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"the plugin exited with {process.ExitCode}: {await process.StandardError.ReadToEndAsync()}");
            }

            if (clock.Elapsed > TimeSpan.FromSeconds(20))
            {
                throw new TimeoutException("the plugin did not open its socket");
            }

            await Task.Delay(50);
        }
    }
}

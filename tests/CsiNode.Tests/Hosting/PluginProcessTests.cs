using System.Diagnostics;
using OrasAssemble.CsiNode.Csi;
using OrasAssemble.CsiNode.Tests.TestSupport;
using OrasAssemble.Tests.Kubernetes;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.CsiNode.Tests.Hosting;

/// <summary>The built <c>oras-assemble-csi</c> as a process, started with the flags a DaemonSet gives it.</summary>
public sealed class PluginProcessTests : IDisposable
{
    private static readonly string Binary = Path.Combine(AppContext.BaseDirectory, "oras-assemble-csi.dll");
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static Process Start(params string[] args) => StartIn(null, args);

    private static Process StartIn(string? workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null)
        {
            start.WorkingDirectory = workingDirectory;
        }

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
    public async Task The_plugin_watches_no_directory_of_the_node_whatever_directory_it_is_started_in()
    {
        // Started where kubelet keeps its pods: an ASP.NET Core host by default watches its working directory and every
        // directory below it for config changes, an inotify watch each, on a node whose pods come and go by the thousand.
        var pods = _dir.Combine("kubelet", "pods");
        for (var i = 0; i < 40; i++)
        {
            Directory.CreateDirectory(Path.Combine(pods, $"pod-{i}", "volumes", "kubernetes.io~csi", "app", "mount"));
        }

        var socket = _dir.Combine("plugin", "csi.sock");
        using var process = StartIn(_dir.Combine("kubelet"), "--endpoint", $"unix://{socket}", "--root", _dir.Combine("cache"));
        try
        {
            await WaitForAsync(() => File.Exists(socket), process);
            using var client = new GrpcSocketClient(socket);
            await client.CallAsync<ProbeResponse>("/csi.v1.Identity/Probe", new ProbeRequest());
            Directory.CreateDirectory(Path.Combine(pods, "pod-new", "volumes"));

            Assert.Equal(0, InotifyWatches(process.Id));
        }
        finally
        {
            process.Kill();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        }
    }

    /// <summary>How many inotify watches the process holds, over all its inotify descriptors.</summary>
    private static int InotifyWatches(int pid)
    {
        var watches = 0;
        foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
        {
            if (new FileInfo(fd).LinkTarget == "anon_inode:inotify")
            {
                watches += File.ReadLines($"/proc/{pid}/fdinfo/{Path.GetFileName(fd)}").Count(l => l.StartsWith("inotify wd:", StringComparison.Ordinal));
            }
        }

        return watches;
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

    [Fact]
    public async Task The_api_server_flags_name_the_server_the_pods_pull_secrets_are_read_from_and_the_file_with_its_token()
    {
        await using var api = await FakeApiServer.StartAsync();
        var pod = TestPod.Create("app", "team-a");
        api.AddPod("team-a", "app", ["reader"], uid: pod.Uid);
        var config = _dir.Combine("config.yaml");
        // The namespace policy refuses the reference once the pod's secrets are read, before any registry is asked.
        await File.WriteAllTextAsync(config, "credentials: { podPullSecrets: true }\nnamespaces:\n  \"*\": { registries: [registry.example] }\n");
        await File.WriteAllTextAsync(_dir.Combine("token"), FakeApiServer.Token);
        await File.WriteAllTextAsync(_dir.Combine("wrong-token"), "not-the-token");
        var volume = new Dictionary<string, string> { [OrasAssemble.CsiNode.Publishing.VolumeContextKeys.Reference] = "127.0.0.1:1/team-a/app:1" };

        async Task<GrpcCallException> PublishAsync(string name, string tokenFile)
        {
            var socket = _dir.Combine(name, "csi.sock");
            using var process = Start("--endpoint", $"unix://{socket}", "--root", _dir.Combine(name, "cache"), "--config", config,
                "--api-server", api.Url.ToString(), "--api-token-file", _dir.Combine(tokenFile));
            try
            {
                await WaitForAsync(() => File.Exists(socket), process);
                using var grpc = new GrpcSocketClient(socket);
                return await Assert.ThrowsAsync<GrpcCallException>(() => new KubeletClient(grpc, _dir.Combine(name, "kubelet")).PublishAsync(pod, volume));
            }
            finally
            {
                process.Kill();
                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
            }
        }

        var read = await PublishAsync("read", "token");
        var readRequests = api.Requests.ToList();
        var refused = await PublishAsync("refused", "wrong-token");

        Assert.Equal(Grpc.Core.StatusCode.PermissionDenied, read.Status);
        Assert.Equal("namespace team-a may not read from 127.0.0.1:1/team-a/app (see namespaces in the node config)", read.Detail);
        Assert.Contains("/api/v1/namespaces/team-a/pods/app", readRequests);
        Assert.Contains("/api/v1/namespaces/team-a/secrets/reader", readRequests);
        Assert.Equal(Grpc.Core.StatusCode.Unavailable, refused.Status);
        Assert.StartsWith($"cannot read pod team-a/app from the API server {api.Url} for the pod's pull secrets: ", refused.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_api_server_flags_stop_the_start_with_exit_code_2_naming_each()
    {
        using var badUrl = Start("--root", _dir.Combine("cache"), "--api-server", "ftp://10.0.0.1");
        using var tokenAlone = Start("--root", _dir.Combine("cache"), "--api-token-file", _dir.Combine("no-such-token"));
        var badUrlErrors = await badUrl.StandardError.ReadToEndAsync();
        var tokenAloneErrors = await tokenAlone.StandardError.ReadToEndAsync();
        await badUrl.WaitForExitAsync();
        await tokenAlone.WaitForExitAsync();

        Assert.Equal(2, badUrl.ExitCode);
        Assert.Contains("--api-server \"ftp://10.0.0.1\" must be an http or https URL, e.g. https://10.0.0.1:6443", badUrlErrors, StringComparison.Ordinal);
        Assert.Equal(2, tokenAlone.ExitCode);
        Assert.Contains($"--api-token-file {_dir.Combine("no-such-token")}: file not found", tokenAloneErrors, StringComparison.Ordinal);
        Assert.Contains("--api-token-file is given without --api-server", tokenAloneErrors, StringComparison.Ordinal);
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

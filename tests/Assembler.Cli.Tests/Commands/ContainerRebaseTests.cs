using System.Diagnostics;
using OrasAssemble.Cli.Tests.TestSupport;
using OrasAssemble.Registry;
using OrasAssemble.Tests.Fixtures;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Cli.Tests.Commands;

/// <summary>
/// The example in real containers, as a node would run it: podman (with runc) runs a Java base image from the
/// registry with the assembled tree bind-mounted read-only at /app; after <c>rebase</c> it runs the new base with
/// the same application bytes. The base images are real: a jlink'd OpenJDK runtime with the libraries it needs.
/// </summary>
public sealed class ContainerRebaseTests(AnonymousRegistryFixture fixture) : IClassFixture<AnonymousRegistryFixture>, IAsyncLifetime
{
    private readonly TempDirectory _temp = new();
    private readonly List<string> _containers = [];

    private string Host => fixture.Server.Host;

    public Task InitializeAsync()
    {
        File.WriteAllText(_temp.Combine("storage.conf"), $"""
            [storage]
            driver = "vfs"
            runroot = "{_temp.Combine("podman-run")}"
            graphroot = "{_temp.Combine("podman-graph")}"
            """);
        File.WriteAllText(_temp.Combine("registries.conf"), "unqualified-search-registries = []\n");
        File.WriteAllText(_temp.Combine("containers.conf"), """
            [engine]
            runtime = "runc"
            cgroup_manager = "cgroupfs"
            events_logger = "file"
            """);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var id in _containers)
        {
            await PodmanAsync(check: false, "rm", "-f", id);
        }

        _temp.Dispose();
    }

    [Fact]
    public async Task The_example_runs_on_base_A_then_after_a_rebase_on_base_B_with_the_same_application_bytes()
    {
        var rootfs = await JavaRootFsAsync();
        await PushBaseAsync(rootfs, "A", "17-a");
        await PushBaseAsync(rootfs, "B", "17-b");

        var example = RepositoryFiles.PathOf(Path.Combine("examples", "java-app"));
        var jar = (await Programs.RunAsync(Path.Combine(example, "build.sh"), _temp.Combine("build"))).Trim();
        var spec = File.ReadAllText(Path.Combine(example, "assembly.yaml"))
            .Replace("registry.example/apps/", $"{Host}/apps/", StringComparison.Ordinal)
            .Replace("registry.example/library/openjdk:17-jre", $"{Host}/library/openjdk:17-a", StringComparison.Ordinal);
        await File.WriteAllTextAsync(_temp.Combine("assembly.yaml"), spec);
        await CliAsync("pack", "--plain-http", $"{Host}/apps/hello-jar:1.0", $"{jar}:application/java-archive");
        await CliAsync("pack", "--plain-http", $"{Host}/apps/hello-conf:1.0", $"{Path.Combine(example, "config", "prod.properties")}:text/x-java-properties");
        await CliAsync("push", "--plain-http", _temp.Combine("assembly.yaml"), $"{Host}/apps/hello-spec:1.0");

        var onA = await RunExampleAsync("a");
        await CliAsync("rebase", "--plain-http", $"{Host}/apps/hello-spec:1.0", "--base", $"{Host}/library/openjdk:17-b");
        var onB = await RunExampleAsync("b");

        Assert.Equal("Hello from OrasAssemble!\n", onA.Greeting);
        Assert.Equal("Hello from OrasAssemble!\n", onB.Greeting);
        Assert.Equal("base A", onA.Release);
        Assert.Equal("base B", onB.Release);
        Assert.Equal(onA.JarSha256, onB.JarSha256);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(jar))), onA.JarSha256);
        Assert.Equal("read-only", onA.WriteAttempt);
    }

    /// <summary>Assembles the spec's current revision and runs it in a container of the base that revision pins.</summary>
    private async Task<(string Greeting, string Release, string JarSha256, string WriteAttempt)> RunExampleAsync(string name)
    {
        var tree = _temp.Combine($"tree-{name}");
        await CliAsync("assemble", "--plain-http", $"{Host}/apps/hello-spec:1.0", "--out", tree, "--cache", _temp.Combine("cache"), "--pull-policy", "Always");
        var inspect = await CliAsync("inspect", "--plain-http", $"{Host}/apps/hello-spec:1.0", "--output", "json");
        var annotations = System.Text.Json.JsonDocument.Parse(inspect).RootElement.GetProperty("annotations");
        var pinned = Reference.Parse(annotations.GetProperty("land.oras.assemble.base").GetString()!);
        var image = $"{pinned.Registry}/{pinned.Repository}@{pinned.Digest}";

        var port = LocalHttp.FreePort();
        var id = (await PodmanAsync(true, "run", "-d", "--tls-verify=false", "--network", "host", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
            "-v", $"{tree}:/app:ro", image, "/opt/jre/bin/java", $"-Dport={port}", "-jar", "/app/HelloWorldServer.jar")).Trim();
        _containers.Add(id);
        var greeting = await LocalHttp.GetWhenUpAsync($"http://127.0.0.1:{port}/");
        var facts = (await PodmanAsync(true, "exec", id, "sh", "-c",
            "cat /etc/base-release; sha256sum /app/HelloWorldServer.jar | cut -d' ' -f1; (echo x > /app/x 2>/dev/null && echo writable) || echo read-only")).Split('\n');
        await PodmanAsync(true, "rm", "-f", id);
        return (greeting, facts[0], facts[1], facts[2]);
    }

    /// <summary>A root file system with a jlink'd OpenJDK runtime, the shared libraries it loads, and busybox.</summary>
    private async Task<string> JavaRootFsAsync()
    {
        var root = _temp.Combine("rootfs");
        var jre = Path.Combine(root, "opt", "jre");
        Directory.CreateDirectory(Path.Combine(root, "opt"));
        await Programs.RunAsync("jlink", "--add-modules", "java.base,jdk.httpserver", "--strip-debug", "--no-header-files", "--no-man-pages", "--output", jre);
        var ldd = await Programs.RunAsync("sh", "-c", $"ldd {jre}/bin/java {jre}/lib/server/libjvm.so {jre}/lib/*.so || true");
        var libraries = ldd.Split('\n')
            .Select(line => line.Trim().Split(' '))
            .Select(parts => parts.Length >= 3 && parts[1] == "=>" ? parts[2] : parts[0])
            .Where(path => path.StartsWith("/lib", StringComparison.Ordinal) || path.StartsWith("/usr/lib", StringComparison.Ordinal))
            .Distinct(StringComparer.Ordinal);
        foreach (var library in libraries)
        {
            var target = root + library;
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(new FileInfo(library).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? library, target, overwrite: true);
        }

        Directory.CreateDirectory(Path.Combine(root, "bin"));
        Directory.CreateDirectory(Path.Combine(root, "etc"));
        Directory.CreateDirectory(Path.Combine(root, "tmp"));
        Directory.CreateDirectory(Path.Combine(root, "app"));
        File.Copy("/bin/busybox", Path.Combine(root, "bin", "busybox"));
        foreach (var applet in new[] { "sh", "cat", "sha256sum", "cut", "echo" })
        {
            File.CreateSymbolicLink(Path.Combine(root, "bin", applet), "busybox");
        }

        return root;
    }

    private async Task PushBaseAsync(string rootfs, string marker, string tag)
    {
        await File.WriteAllTextAsync(Path.Combine(rootfs, "etc", "base-release"), $"base {marker}\n");
        var tar = _temp.Combine($"base-{marker}.tar");
        await Programs.RunAsync("tar", "-C", rootfs, "-cf", tar, ".");
        await PodmanAsync(true, "import", tar, $"localhost/base-{marker.ToLowerInvariant()}:1");
        await PodmanAsync(true, "push", "--tls-verify=false", "--format", "oci", $"localhost/base-{marker.ToLowerInvariant()}:1", $"docker://{Host}/library/openjdk:{tag}");
    }

    private async Task<string> CliAsync(params string[] args)
    {
        var result = await CliProcess.RunAsync(args);
        Assert.True(result.ExitCode == 0, $"oras-assemble {string.Join(' ', args)}: {result.Stderr}");
        return result.Stdout;
    }

    private Task<string> PodmanAsync(bool check, params string[] args)
    {
        var environment = new Dictionary<string, string>
        {
            ["CONTAINERS_STORAGE_CONF"] = _temp.Combine("storage.conf"),
            ["CONTAINERS_REGISTRIES_CONF"] = _temp.Combine("registries.conf"),
            ["CONTAINERS_CONF"] = _temp.Combine("containers.conf"),
        };
        return Programs.RunAsync("podman", args, environment, check);
    }
}

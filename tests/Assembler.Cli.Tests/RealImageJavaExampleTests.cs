using OrasAssemble.Cli.Tests.TestSupport;
using OrasAssemble.Tests.Containers;
using OrasAssemble.Tests.Fixtures;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Cli.Tests;

/// <summary>
/// The java-app example on a real base image: the image corpus' openjdk (Debian's openjdk-17-jre-headless over a
/// bookworm minbase), pushed to the registry by skopeo, is the example spec's base. Both trees come from
/// <c>oras-assemble assemble</c>: the image whole, as the container's root, and the example's spec, mounted read-only
/// at its mount path, /app, as the node plugin would mount it. podman (runc) runs the image's own java on them.
/// </summary>
public sealed class RealImageJavaExampleTests(AnonymousRegistryFixture fixture) : IClassFixture<AnonymousRegistryFixture>, IAsyncLifetime
{
    private static readonly TimeSpan ProgramTimeout = TimeSpan.FromMinutes(5);

    // A JVM starting in a container on a machine busy with parallel builds can take far longer than on an idle one.
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(2);

    private readonly TempDirectory _temp = new();
    private Podman? _podman;

    private static string Example => RepositoryFiles.PathOf(Path.Combine("examples", "java-app"));

    public async Task InitializeAsync() => _podman = await Podman.CreateAsync();

    public async Task DisposeAsync()
    {
        try
        {
            if (_podman is not null)
            {
                await _podman.DisposeAsync();
            }
        }
        finally
        {
            _temp.Dispose();
        }
    }

    [Fact]
    public async Task The_example_serves_its_greeting_with_the_java_of_the_real_openjdk_image_assembled_as_the_containers_root()
    {
        var host = fixture.Server.Host;
        var openjdk = await ImageCorpus.GetAsync(ImageCorpus.Openjdk);
        await File.WriteAllTextAsync(_temp.Combine("policy.json"), """{"default":[{"type":"insecureAcceptAnything"}]}""");
        await CheckAsync("skopeo", "--policy", _temp.Combine("policy.json"), "copy", "--quiet", "--dest-tls-verify=false",
            $"oci:{openjdk.LayoutReference}", $"docker://{host}/library/openjdk:17-jre");

        await CheckAsync("bash", Path.Combine(Example, "build.sh"), _temp.Combine("build"));
        var jar = _temp.Combine("build", "HelloWorldServer.jar");
        var spec = File.ReadAllText(Path.Combine(Example, "assembly.yaml")).Replace("registry.example/", $"{host}/", StringComparison.Ordinal);
        await File.WriteAllTextAsync(_temp.Combine("assembly.yaml"), spec);
        await CliAsync("pack", "--plain-http", $"{host}/apps/hello-jar:1.0", $"{jar}:application/java-archive");
        await CliAsync("pack", "--plain-http", $"{host}/apps/hello-conf:1.0", $"{Path.Combine(Example, "config", "prod.properties")}:text/x-java-properties");
        await CliAsync("push", "--plain-http", _temp.Combine("assembly.yaml"), $"{host}/apps/hello-spec:1.0", "--lock");
        await File.WriteAllTextAsync(_temp.Combine("base.yaml"), $$"""
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: openjdk-root }
            sources:
              base: { ref: "{{host}}/library/openjdk:17-jre", platform: linux/amd64 }
            steps:
              - copy: { from: base, path: /, to: / }
            """);
        var cache = _temp.Combine("cache");
        await CliAsync("assemble", "--plain-http", _temp.Combine("base.yaml"), "--out", _temp.Combine("root"), "--cache", cache);
        await CliAsync("assemble", "--plain-http", $"{host}/apps/hello-spec:1.0", "--out", _temp.Combine("app"), "--cache", cache);

        // --rootfs makes the first argument the root, the rest the command. The root is an overlay (":O"): what runc
        // writes there goes to a layer of podman's, never into the assembled tree.
        var port = LocalHttp.FreePort();
        var id = await _podman!.StartAsync("--network", "host", "-v", _temp.Combine("app") + ":/app:ro", "--rootfs", _temp.Combine("root") + ":O",
            "/usr/bin/java", $"-Dport={port}", "-jar", "/app/HelloWorldServer.jar");
        string greeting;
        try
        {
            greeting = await LocalHttp.GetWhenUpAsync($"http://127.0.0.1:{port}/", StartTimeout);
        }
        catch (HttpRequestException e)
        {
            var (running, logs) = await _podman.StateAsync(id);
            throw new InvalidOperationException($"the example did not answer (container running: {running}): {logs}", e);
        }

        var version = await _podman.CheckAsync("exec", id, "/usr/bin/java", "-version");

        Assert.Equal("Hello from OrasAssemble!\n", greeting);
        Assert.Contains("openjdk version \"17.", version, StringComparison.Ordinal);
        Assert.Contains("-Debian", version, StringComparison.Ordinal);
    }

    private async Task<string> CheckAsync(string program, params string[] arguments)
    {
        var run = await ProgramRun.RunAsync(program, arguments, ProgramTimeout);
        Assert.True(run.ExitCode == 0, $"'{run.CommandLine}' exited with code {run.ExitCode}:\n{run.Tail()}");
        return run.Output;
    }

    private static async Task CliAsync(params string[] arguments)
    {
        var result = await CliProcess.RunAsync(arguments);
        Assert.True(result.ExitCode == 0, $"oras-assemble {string.Join(' ', arguments)}: {result.Stderr}");
    }
}

using System.Diagnostics;
using OrasAssemble.Cli.Tests.TestSupport;
using OrasAssemble.Tests.Fixtures;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Cli.Tests;

/// <summary>
/// The java-app example through a real registry, as its README tells it: build the JAR, pack it and its
/// configuration, push the spec, assemble, start <c>java -jar</c> from the assembled tree and ask it for the greeting.
/// </summary>
public sealed class JavaExampleTests(AnonymousRegistryFixture fixture) : IClassFixture<AnonymousRegistryFixture>, IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static string Example => RepositoryFiles.PathOf(Path.Combine("examples", "java-app"));

    [Fact]
    public async Task The_assembled_example_serves_its_greeting()
    {
        var host = fixture.Server.Host;
        var jar = (await Programs.RunAsync(Path.Combine(Example, "build.sh"), _temp.Combine("build"))).Trim();
        var spec = File.ReadAllText(Path.Combine(Example, "assembly.yaml")).Replace("registry.example/apps/", $"{host}/apps/", StringComparison.Ordinal);
        var specFile = _temp.Combine("assembly.yaml");
        await File.WriteAllTextAsync(specFile, spec);

        Assert.Equal(0, (await CliProcess.RunAsync("pack", "--plain-http", $"{host}/apps/hello-jar:1.0", $"{jar}:application/java-archive")).ExitCode);
        Assert.Equal(0, (await CliProcess.RunAsync("pack", "--plain-http", $"{host}/apps/hello-conf:1.0", $"{Path.Combine(Example, "config", "prod.properties")}:text/x-java-properties")).ExitCode);
        var push = await CliProcess.RunAsync("push", "--plain-http", specFile, $"{host}/apps/hello-spec:1.0", "--lock", "--no-pin-base");
        Assert.True(push.ExitCode == 0, push.Stderr);
        var assemble = await CliProcess.RunAsync("assemble", "--plain-http", $"{host}/apps/hello-spec:1.0", "--out", _temp.Combine("app"), "--cache", _temp.Combine("cache"));
        Assert.True(assemble.ExitCode == 0, assemble.Stderr);

        Assert.Equal(File.ReadAllBytes(jar), File.ReadAllBytes(_temp.Combine("app", "HelloWorldServer.jar")));
        var port = LocalHttp.FreePort();
        using var java = Process.Start(new ProcessStartInfo("java", ["-Dport=" + port, "-jar", _temp.Combine("app", "HelloWorldServer.jar")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        try
        {
            var greeting = await LocalHttp.GetWhenUpAsync($"http://127.0.0.1:{port}/");
            Assert.Equal("Hello from OrasAssemble!\n", greeting);
        }
        finally
        {
            java.Kill(entireProcessTree: true);
            await java.WaitForExitAsync();
        }
    }
}

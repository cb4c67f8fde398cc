using OrasAssemble.Cli.Tests.TestSupport;
using OrasAssemble.Tests.Fixtures;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Cli.Tests;

/// <summary>A registry that serves plain HTTP, reached without <c>--plain-http</c>: one sentence of ours, naming the host and the flag.</summary>
public sealed class TlsFailureTests(AnonymousRegistryFixture fixture) : IClassFixture<AnonymousRegistryFixture>, IDisposable
{
    private readonly TempDirectory temp = new();

    private RegistryServer Server => fixture.Server;

    public void Dispose() => temp.Dispose();

    [Fact]
    public async Task Pull_and_pack_without_plain_http_say_which_host_failed_and_which_flag_to_use()
    {
        var file = temp.Combine("a.txt");
        await File.WriteAllTextAsync(file, "a\n");
        Assert.Equal(0, (await CliProcess.RunAsync("pack", "--plain-http", $"{Server.Host}/tls/app:1", file)).ExitCode);

        var pull = await CliProcess.RunAsync("pull", $"{Server.Host}/tls/app:1", "-o", temp.Combine("out"));
        var pack = await CliProcess.RunAsync("pack", $"{Server.Host}/tls/app:2", file);

        foreach (var run in new[] { pull, pack })
        {
            Assert.Equal(1, run.ExitCode);
            Assert.Matches(
                $@"^Error: {System.Text.RegularExpressions.Regex.Escape(Server.Host)} did not answer over HTTPS \([^)]+\); if it serves plain HTTP, use --plain-http \(or plainHttp: true for the host in --config\)\n$",
                run.Stderr);
        }

        Assert.False(Directory.Exists(temp.Combine("out")));
    }

    [Fact]
    public async Task Assemble_of_a_spec_whose_source_answers_only_plain_http_ends_with_the_flag_to_use()
    {
        var file = temp.Combine("a.txt");
        await File.WriteAllTextAsync(file, "a\n");
        Assert.Equal(0, (await CliProcess.RunAsync("pack", "--plain-http", $"{Server.Host}/tls/src:1", file)).ExitCode);
        var spec = SpecFixtures.WriteSpec(temp.Path, $$"""
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: tls }
            mount: { path: /app }
            sources:
              app: { ref: {{Server.Host}}/tls/src:1 }
            steps:
              - copy: { from: app, path: a.txt, to: /a.txt }
            """);

        var assemble = await CliProcess.RunAsync("assemble", spec, "--out", temp.Combine("out"), "--cache", temp.Combine("cache"));

        Assert.Equal(1, assemble.ExitCode);
        Assert.Contains($"{Server.Host} did not answer over HTTPS (", assemble.Stderr, StringComparison.Ordinal);
        Assert.EndsWith("; if it serves plain HTTP, use --plain-http (or plainHttp: true for the host in --config)\n", assemble.Stderr, StringComparison.Ordinal);
        Assert.StartsWith("Error: ", assemble.Stderr, StringComparison.Ordinal);
    }
}

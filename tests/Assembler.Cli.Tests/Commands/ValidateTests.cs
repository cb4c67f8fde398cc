using OrasAssemble.Cli.Tests.TestSupport;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Cli.Tests.Commands;

/// <summary><c>validate</c>: "valid" on standard output, or every error on standard error as file:line:col: field: message.</summary>
public sealed class ValidateTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public async Task A_valid_spec_is_reported_valid()
    {
        await File.WriteAllTextAsync(temp.Combine("assembly.yaml"), """
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: hello }
            sources:
              app: { ref: registry.example/apps/hello:1.0 }
            steps:
              - copy: { from: app, path: hello.txt, to: /hello.txt }
            """);

        var validate = await RunAsync("validate", "assembly.yaml");

        Assert.Equal(0, validate.ExitCode);
        Assert.Equal("assembly.yaml: valid\n", validate.Stdout);
        Assert.Empty(validate.Stderr);
    }

    [Fact]
    public async Task Every_error_is_one_line_naming_file_position_field_and_problem()
    {
        await File.WriteAllTextAsync(temp.Combine("assembly.yaml"), """
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: Hello_Java }
            sources:
              app: { ref: "registry.example/Apps/jar:1.0" }
              conf: { ref: registry.example/apps/conf:1, platform: linux/amd46 }
            steps:
              - copy: { from: app, path: app.jar, to: /app.jar }
              - copy: { from: tools, path: x, to: relative }
            """);

        var validate = await RunAsync("validate", "assembly.yaml");

        Assert.Equal(2, validate.ExitCode);
        Assert.Empty(validate.Stdout);
        Assert.Equal(
            """
            assembly.yaml:3:13: metadata.name: must be lowercase letters, digits, '-' and '.', starting and ending with a letter or digit (a DNS subdomain name)
            assembly.yaml:5:10: sources.app.ref: invalid reference "registry.example/Apps/jar:1.0": repository "Apps/jar" must be lowercase
            assembly.yaml:6:46: sources.conf.platform: unknown architecture "amd46"; did you mean "amd64"?
            assembly.yaml:9:13: steps[1].copy.from: source "tools" is not defined under sources; the sources are app, conf
            assembly.yaml:9:35: steps[1].copy.to: "relative" must be an absolute path in the tree, starting with '/'

            """,
            validate.Stderr);
    }

    [Fact]
    public async Task Errors_across_steps_name_both_steps()
    {
        await File.WriteAllTextAsync(temp.Combine("conflict.yml"), """
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: clash }
            sources:
              app: { ref: registry.example/apps/hello:1.0 }
            steps:
              - copy: { from: app, path: a, to: /bin/tool }
              - copy: { from: app, path: b, to: /bin/tool }
            """);

        var validate = await RunAsync("validate", "conflict.yml");

        Assert.Equal(2, validate.ExitCode);
        Assert.Equal(
            "conflict.yml:8:33: steps[1].copy.to: \"/bin/tool\" is already written by steps[0] (copy); set overwrite: true to replace it\n",
            validate.Stderr);
    }

    [Fact]
    public async Task An_empty_file_is_one_error_about_the_document()
    {
        await File.WriteAllTextAsync(temp.Combine("empty.yaml"), "");

        var validate = await RunAsync("validate", "empty.yaml");

        Assert.Equal(2, validate.ExitCode);
        Assert.Equal("empty.yaml:1:1: the spec is empty\n", validate.Stderr);
    }

    [Fact]
    public async Task A_missing_file_is_invalid_input()
    {
        var validate = await RunAsync("validate", "nowhere.yaml");

        Assert.Equal(2, validate.ExitCode);
        Assert.Equal("Error: nowhere.yaml: no such file\n", validate.Stderr);
    }

    private Task<CliResult> RunAsync(params string[] args) => CliProcess.RunAsync(args, stdin: null, workingDirectory: temp.Path);
}

using OrasAssemble.Cli.Tests.TestSupport;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Cli.Tests.Targets;

/// <summary>A spec source that names a local OCI layout, <c>oci-layout://dir[:tag|@digest]</c>, relative to the spec file.</summary>
public sealed class OciLayoutSourceTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public async Task A_relative_layout_is_read_beside_the_spec_file_by_tag_and_by_digest()
    {
        var project = Directory.CreateDirectory(temp.Combine("project")).FullName;
        await File.WriteAllTextAsync(temp.Combine("app.txt"), "from the layout\n");
        await File.WriteAllTextAsync(temp.Combine("conf.txt"), "pinned\n");
        var tagged = await CliProcess.RunAsync("pack", "--oci-layout", $"{project}/layout:1", temp.Combine("app.txt"));
        var pinned = await CliProcess.RunAsync("pack", "--oci-layout", $"{project}/layout:2", temp.Combine("conf.txt"));
        Assert.Equal(0, tagged.ExitCode);
        Assert.Equal(0, pinned.ExitCode);
        var spec = SpecFixtures.WriteSpec(project, $$"""
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: layout }
            mount: { path: /app }
            sources:
              app: { ref: "oci-layout://layout:1" }
              conf: { ref: "oci-layout://./layout@{{pinned.Stdout.Trim()}}" }
            steps:
              - copy: { from: app, path: app.txt, to: /app.txt }
              - copy: { from: conf, path: conf.txt, to: /conf.txt }
            """);

        // Run from elsewhere: the layout is found beside the spec, not in the current directory.
        var assemble = await CliProcess.RunAsync("assemble", spec, "--out", temp.Combine("out"), "--cache", temp.Combine("cache"));

        Assert.Equal(0, assemble.ExitCode);
        Assert.Equal("from the layout\n", await File.ReadAllTextAsync(temp.Combine("out", "app.txt")));
        Assert.Equal("pinned\n", await File.ReadAllTextAsync(temp.Combine("out", "conf.txt")));
        Assert.Equal(["app.txt", "conf.txt"], Directory.GetFiles(temp.Combine("out")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_layout_that_is_not_there_is_named_with_its_full_path_and_nothing_is_written()
    {
        var project = Directory.CreateDirectory(temp.Combine("project")).FullName;
        var spec = SpecFixtures.WriteSpec(project, """
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: layout }
            mount: { path: /app }
            sources:
              app: { ref: "oci-layout://missing/layout:1" }
            steps:
              - copy: { from: app, path: app.txt, to: /app.txt }
            """);

        var assemble = await CliProcess.RunAsync("assemble", spec, "--out", temp.Combine("out"), "--cache", temp.Combine("cache"));

        Assert.Equal(1, assemble.ExitCode);
        Assert.Equal(
            $"Error: sources.app: OCI layout directory {project}/missing/layout (from oci-layout://missing/layout:1) does not exist\n",
            assemble.Stderr);
        Assert.False(Directory.Exists(temp.Combine("out")));
    }

    [Fact]
    public async Task Push_refuses_a_spec_with_a_layout_source_before_writing_anywhere()
    {
        var spec = SpecFixtures.WriteSpec(temp.Path, """
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: layout }
            mount: { path: /app }
            sources:
              app: { ref: "oci-layout://layout:1" }
            steps:
              - copy: { from: app, path: app.txt, to: /app.txt }
            """);

        var push = await CliProcess.RunAsync("push", "--oci-layout", spec, $"{temp.Combine("pushed")}:1");

        Assert.Equal(2, push.ExitCode);
        Assert.Equal(
            "Error: sources.app: oci-layout://layout:1 names a local OCI layout, which a pushed spec cannot: push its content to a registry and name it there\n",
            push.Stderr);
        Assert.False(Directory.Exists(temp.Combine("pushed")));
    }

    [Fact]
    public async Task A_malformed_layout_source_fails_validation_naming_the_field()
    {
        var spec = SpecFixtures.WriteSpec(temp.Path, """
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: layout }
            mount: { path: /app }
            sources:
              app: { ref: "oci-layout://layout:not a tag" }
            steps:
              - copy: { from: app, path: app.txt, to: /app.txt }
            """);

        var validate = await CliProcess.RunAsync("validate", spec);

        Assert.Equal(2, validate.ExitCode);
        Assert.Equal(
            $"{spec}:6:10: sources.app.ref: invalid reference \"oci-layout://layout:not a tag\": \"not a tag\" after ':' is not a tag (letters, digits, '_', '.', '-', at most 128)\n",
            validate.Stderr);
    }
}

using System.Diagnostics;
using OrasAssemble.Cli.Tests.TestSupport;
using OrasAssemble.Tests.Fixtures;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Cli.Tests.Commands;

/// <summary><c>assemble</c> against a real registry: the exact tree, from a file and from a pushed spec, and how it fails.</summary>
public sealed class AssembleTests(AnonymousRegistryFixture fixture) : IClassFixture<AnonymousRegistryFixture>, IDisposable
{
    private const UnixFileMode Executable = (UnixFileMode)0x1ED; // 0755
    private const UnixFileMode Regular = (UnixFileMode)0x1A4; // 0644

    private readonly TempDirectory temp = new();

    private RegistryServer Server => fixture.Server;

    private string Cache => temp.Combine("cache");

    public void Dispose() => temp.Dispose();

    [Fact]
    public async Task A_spec_file_is_assembled_into_exactly_the_tree_it_describes()
    {
        var spec = await PushExampleAsync("file");
        var out1 = temp.Combine("out");

        var assemble = await CliProcess.RunAsync("assemble", "--plain-http", spec, "--out", out1, "--cache", Cache);

        Assert.Equal(0, assemble.ExitCode);
        Assert.Equal(ExpectedTree(), TreeSnapshot.Of(out1));
        var lines = assemble.Stdout.TrimEnd('\n').Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.Matches("^key:  [0-9a-f]{64}$", lines[0]);
        var key = lines[0][6..];
        Assert.Equal($"tree: {Path.Combine(Cache, "trees", key)}", lines[1]);
        Assert.Equal($"out:  {out1}", lines[2]);
        Assert.Equal(ExpectedTree(), TreeSnapshot.Of(Path.Combine(Cache, "trees", key)));
        Assert.Contains("sources.app: ", assemble.Stderr, StringComparison.Ordinal);
        Assert.Contains($"tree {key} built", assemble.Stderr, StringComparison.Ordinal);

        // The files are the cache's, not copies of them.
        Assert.Equal(await InodeAsync(Path.Combine(Cache, "trees", key, "bin", "busybox")), await InodeAsync(Path.Combine(out1, "bin", "busybox")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(temp.Path, ".out.*"));
    }

    [Fact]
    public async Task A_pushed_spec_gives_the_same_tree_with_the_same_key()
    {
        var spec = await PushExampleAsync("ref");
        var push = await CliProcess.RunAsync("push", "--plain-http", spec, $"{Server.Host}/asm-ref/spec:1");

        var fromFile = await CliProcess.RunAsync("assemble", "--plain-http", spec, "--out", temp.Combine("a"), "--cache", Cache);
        var fromRef = await CliProcess.RunAsync("assemble", "--plain-http", $"{Server.Host}/asm-ref/spec:1", "--out", temp.Combine("b"), "--cache", Cache, "--pull-policy", "Always");

        Assert.Equal(0, push.ExitCode);
        Assert.Equal(0, fromFile.ExitCode);
        Assert.Equal(0, fromRef.ExitCode);
        Assert.Equal(ExpectedTree(), TreeSnapshot.Of(temp.Combine("b")));
        Assert.Equal(fromFile.Stdout.Split('\n')[0], fromRef.Stdout.Split('\n')[0]);
        Assert.Contains(" is cached", fromRef.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_limits_of_the_config_file_bound_assemble_as_they_bound_the_node_plugin()
    {
        var spec = await PushLargeFileAsync("limited", bytes: 100);
        var config = temp.Combine("config.yaml");
        await File.WriteAllTextAsync(config, """
            registries:
              "127.0.0.1:*": { plainHttp: true }
            limits:
              maxTotalBytes: 64
            """);

        var limited = await CliProcess.RunAsync("assemble", "--config", config, spec, "--out", temp.Combine("out"), "--cache", Cache);

        Assert.Equal(1, limited.ExitCode);
        Assert.Contains("Error: sources.", limited.Stderr, StringComparison.Ordinal);
        Assert.EndsWith(", entry \"data.bin\": the tree would hold more than the limit of 64 bytes (maxTotalBytes)\n", limited.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(temp.Combine("out")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(Cache, "trees")));

        var unlimited = await CliProcess.RunAsync("assemble", "--plain-http", spec, "--out", temp.Combine("out"), "--cache", Cache);

        Assert.Equal(0, unlimited.ExitCode);
        Assert.Equal(100, new FileInfo(temp.Combine("out", "data.bin")).Length);
    }

    [Fact]
    public async Task A_wrong_limits_section_is_invalid_input_naming_its_line()
    {
        var spec = SpecFixtures.WriteSpec(temp.Path, $$"""
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: never-run }
            sources:
              app: { ref: {{Server.Host}}/asm-never/app:1.0 }
            steps:
              - copy: { from: app, path: a, to: /a }
            """);
        var config = temp.Combine("config.yaml");
        await File.WriteAllTextAsync(config, "limits:\n  maxTotalBytes: lots\n");

        var assemble = await CliProcess.RunAsync("assemble", "--config", config, spec, "--out", temp.Combine("out"), "--cache", Cache);

        Assert.Equal(2, assemble.ExitCode);
        Assert.Equal($"Error: {config}:2:18: limits.maxTotalBytes must be a positive size such as 20Gi, 500Mi or 1048576, found \"lots\"\n", assemble.Stderr);
        Assert.False(Directory.Exists(temp.Combine("out")));
    }

    [Fact]
    public async Task An_existing_empty_out_directory_is_filled()
    {
        var spec = await PushExampleAsync("empty-out");
        Directory.CreateDirectory(temp.Combine("out"));

        var assemble = await CliProcess.RunAsync("assemble", "--plain-http", spec, "--out", temp.Combine("out"), "--cache", Cache);

        Assert.Equal(0, assemble.ExitCode);
        Assert.Equal(ExpectedTree(), TreeSnapshot.Of(temp.Combine("out")));
    }

    [Fact]
    public async Task An_out_directory_that_is_not_empty_is_invalid_input_and_untouched()
    {
        var spec = await PushExampleAsync("busy-out");
        Directory.CreateDirectory(temp.Combine("out"));
        await File.WriteAllTextAsync(temp.Combine("out", "mine.txt"), "keep me");

        var assemble = await CliProcess.RunAsync("assemble", "--plain-http", spec, "--out", temp.Combine("out"), "--cache", Cache);

        Assert.Equal(2, assemble.ExitCode);
        Assert.Equal($"Error: --out: {temp.Combine("out")} is not empty; name a directory that does not exist yet, or an empty one\n", assemble.Stderr);
        Assert.Equal(["out/mine.txt"], temp.Files().Where(f => !f.StartsWith("assembly", StringComparison.Ordinal) && !f.StartsWith("input/", StringComparison.Ordinal)));
        Assert.False(Directory.Exists(Cache));
    }

    [Fact]
    public async Task A_step_that_cannot_be_carried_out_fails_naming_the_step_and_leaves_no_out()
    {
        await PushExampleAsync("bad-step");
        var spec = SpecFixtures.WriteSpec(temp.Path, $$"""
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: bad-step }
            sources:
              app: { ref: {{Server.Host}}/asm-bad-step/app:1.0 }
            steps:
              - copy: { from: app, path: NoSuchFile.jar, to: /app.jar }
            """, "broken.yaml");

        var assemble = await CliProcess.RunAsync("assemble", "--plain-http", spec, "--out", temp.Combine("out"), "--cache", Cache);

        Assert.Equal(1, assemble.ExitCode);
        Assert.EndsWith("Error: steps[0].copy: path /NoSuchFile.jar does not exist in source app\n", assemble.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(temp.Combine("out")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(Cache, "trees")));
    }

    [Fact]
    public async Task A_source_that_does_not_exist_fails_naming_the_source()
    {
        var spec = SpecFixtures.WriteSpec(temp.Path, $$"""
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: missing }
            sources:
              app: { ref: {{Server.Host}}/asm-missing/app:1.0 }
            steps:
              - copy: { from: app, path: a, to: /a }
            """);

        var assemble = await CliProcess.RunAsync("assemble", "--plain-http", spec, "--out", temp.Combine("out"), "--cache", Cache);

        Assert.Equal(1, assemble.ExitCode);
        Assert.StartsWith("Error: sources.app: ", assemble.Stderr.Split('\n')[^2], StringComparison.Ordinal);
        Assert.Contains("not found", assemble.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(temp.Combine("out")));
    }

    [Fact]
    public async Task An_invalid_spec_file_is_invalid_input_with_every_error()
    {
        SpecFixtures.WriteSpec(temp.Path, """
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: x }
            sources: {}
            steps: []
            """);

        var assemble = await CliProcess.RunAsync(["assemble", "assembly.yaml", "--out", "out", "--cache", Cache], stdin: null, workingDirectory: temp.Path);

        Assert.Equal(2, assemble.ExitCode);
        Assert.Equal("assembly.yaml:4:1: sources: must not be empty\nassembly.yaml:5:1: steps: must not be empty\n", assemble.Stderr);
        Assert.False(Directory.Exists(temp.Combine("out")));
    }

    [Fact]
    public async Task A_missing_spec_file_is_not_looked_up_as_a_reference()
    {
        var assemble = await CliProcess.RunAsync(["assemble", "examples/assembly.yaml", "--out", "out", "--cache", Cache], stdin: null, workingDirectory: temp.Path);

        Assert.Equal(2, assemble.ExitCode);
        Assert.Equal("Error: examples/assembly.yaml: no such file\n", assemble.Stderr);
    }

    [Fact]
    public async Task A_reference_to_something_other_than_a_spec_is_invalid_input()
    {
        await File.WriteAllTextAsync(temp.Combine("a.txt"), "a");
        await CliProcess.RunAsync("pack", "--plain-http", $"{Server.Host}/asm-other/files:1", temp.Combine("a.txt"));

        var assemble = await CliProcess.RunAsync("assemble", "--plain-http", $"{Server.Host}/asm-other/files:1", "--out", temp.Combine("out"), "--cache", Cache);

        Assert.Equal(2, assemble.ExitCode);
        Assert.Equal(
            $"Error: {Server.Host}/asm-other/files:1: this is not an assembly spec: its artifact type is application/vnd.unknown.artifact.v1, not application/vnd.oras-assemble.spec.v1\n",
            assemble.Stderr);
    }

    [Fact]
    public async Task Two_processes_on_one_cache_download_each_blob_once_and_share_the_tree()
    {
        var spec = await PushExampleAsync("two-processes");
        Server.ClearRequests();

        var runs = await Task.WhenAll(
            CliProcess.RunAsync("assemble", "--plain-http", spec, "--out", temp.Combine("p1"), "--cache", Cache),
            CliProcess.RunAsync("assemble", "--plain-http", spec, "--out", temp.Combine("p2"), "--cache", Cache));

        Assert.All(runs, r => Assert.True(r.ExitCode == 0, r.Stderr));
        Assert.Equal(runs[0].Stdout.Split('\n')[0], runs[1].Stdout.Split('\n')[0]);
        Assert.Equal(ExpectedTree(), TreeSnapshot.Of(temp.Combine("p2")));
        var blobGets = Server.Requests
            .Where(r => r.Method == "GET" && r.StatusCode == 200 && r.PathWithoutQuery.Contains("/blobs/", StringComparison.Ordinal))
            .GroupBy(r => r.PathWithoutQuery)
            .ToList();
        Assert.Equal(3, blobGets.Count);
        Assert.All(blobGets, g => Assert.Single(g));
    }

    /// <summary>A file artifact, a folder artifact and an image under <c>asm-{name}/</c>, and a spec over them; returns the spec's path.</summary>
    /// <summary>A spec copying one file artifact of <paramref name="bytes"/> bytes; returns the spec file.</summary>
    private async Task<string> PushLargeFileAsync(string name, int bytes)
    {
        var file = temp.Combine("input", "data.bin");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await File.WriteAllBytesAsync(file, new byte[bytes]);
        Assert.Equal(0, (await CliProcess.RunAsync("pack", "--plain-http", $"{Server.Host}/asm-{name}/data:1.0", file)).ExitCode);
        return SpecFixtures.WriteSpec(temp.Path, $$"""
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: {{name}} }
            sources:
              data: { ref: {{Server.Host}}/asm-{{name}}/data:1.0 }
            steps:
              - copy: { from: data, path: data.bin, to: /data.bin }
            """, name + ".yaml");
    }

    private async Task<string> PushExampleAsync(string name)
    {
        var input = temp.Combine("input");
        Directory.CreateDirectory(Path.Combine(input, "conf", "test"));
        await WriteAsync(Path.Combine(input, "HelloWorldServer.jar"), "PK jar bytes");
        await WriteAsync(Path.Combine(input, "conf", "prod.properties"), "greeting=hi\n");
        await WriteAsync(Path.Combine(input, "conf", "dev.properties"), "greeting=dev\n");
        await WriteAsync(Path.Combine(input, "conf", "readme.txt"), "not a properties file\n");
        await WriteAsync(Path.Combine(input, "conf", "test", "x.properties"), "test only\n");
        Assert.Equal(0, (await CliProcess.RunAsync("pack", "--plain-http", $"{Server.Host}/asm-{name}/app:1.0", Path.Combine(input, "HelloWorldServer.jar"))).ExitCode);
        Assert.Equal(0, (await CliProcess.RunAsync("pack", "--plain-http", $"{Server.Host}/asm-{name}/conf:1.0", Path.Combine(input, "conf"))).ExitCode);
        using var client = RegistryClients.PlainHttp();
        await SpecFixtures.PushImageAsync(client.GetRepository($"{Server.Host}/asm-{name}/tools"), "1.36",
            ("bin/busybox", "ELF busybox", (UnixFileMode)0x1C0),
            ("etc/motd", "welcome", Regular));
        return SpecFixtures.WriteSpec(temp.Path, $$"""
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: hello-java }
            sources:
              app:   { ref: {{Server.Host}}/asm-{{name}}/app:1.0 }
              conf:  { ref: {{Server.Host}}/asm-{{name}}/conf:1.0 }
              tools: { ref: {{Server.Host}}/asm-{{name}}/tools:1.36 }
            steps:
              - copy:   { from: app,  path: HelloWorldServer.jar, to: /HelloWorldServer.jar }
              - copy:   { from: conf, path: conf, include: ["**/*.properties"], exclude: ["**/test/**"], to: /conf/ }
              - rename: { path: /conf/prod.properties, to: /conf/application.properties }
              - copy:   { from: tools, path: /bin/busybox, to: /bin/busybox, mode: "0755" }
              - link:   { path: /bin/sh, target: busybox }
            """, $"assembly-{name}.yaml");
    }

    private static async Task WriteAsync(string path, string content)
    {
        await File.WriteAllTextAsync(path, content);
        File.SetUnixFileMode(path, Regular);
    }

    private static IReadOnlyList<string> ExpectedTree() =>
        new[]
        {
            "HelloWorldServer.jar 644 12 " + Sha("PK jar bytes"),
            "bin/ 755",
            "bin/busybox 755 11 " + Sha("ELF busybox"),
            "bin/sh -> busybox",
            "conf/ 755",
            "conf/application.properties 644 12 " + Sha("greeting=hi\n"),
            "conf/dev.properties 644 13 " + Sha("greeting=dev\n"),
        }.Order(StringComparer.Ordinal).ToList();

    private static string Sha(string content) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(content)));

    private static async Task<string> InodeAsync(string path)
    {
        using var stat = Process.Start(new ProcessStartInfo("stat", ["-c", "%i", path]) { RedirectStandardOutput = true })!;
        var inode = await stat.StandardOutput.ReadToEndAsync();
        await stat.WaitForExitAsync();
        return inode.Trim();
    }
}

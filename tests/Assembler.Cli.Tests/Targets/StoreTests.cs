using System.Text.Json;
using System.Text.Json.Nodes;
using OrasAssemble.Cli.Tests.TestSupport;
using OrasAssemble.Oci;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Cli.Tests.Targets;

/// <summary>
/// <c>--store</c>: the same commands as against a registry, with every reference (arguments and those inside specs)
/// kept in one OCI image layout by its full name. No registry runs in these tests, and the names point at hosts
/// that do not exist, so anything that reached for the network would fail.
/// </summary>
public sealed class StoreTests : IDisposable
{
    private const string Host = "registry.invalid";

    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    private string Store => temp.Combine("store");

    [Fact]
    public async Task Pack_push_and_assemble_work_with_the_store_alone()
    {
        var spec = await PrepareAsync();

        var push = await CliProcess.RunAsync("push", "--store", Store, spec, $"{Host}/apps/spec:1.0", "--lock");
        var assemble = await CliProcess.RunAsync("assemble", "--store", Store, $"{Host}/apps/spec:1.0", "--out", temp.Combine("out"), "--cache", temp.Combine("cache"));

        Assert.Equal(0, push.ExitCode);
        Assert.Equal(0, assemble.ExitCode);
        Assert.Equal(ExpectedTree, TreeSnapshot.Of(temp.Combine("out")));
        Assert.StartsWith("key:  ", assemble.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_spec_file_reads_its_sources_from_the_store()
    {
        var spec = await PrepareAsync();

        var assemble = await CliProcess.RunAsync("assemble", spec, "--store", Store, "--out", temp.Combine("out"), "--cache", temp.Combine("cache"));

        Assert.Equal(0, assemble.ExitCode);
        Assert.Equal(ExpectedTree, TreeSnapshot.Of(temp.Combine("out")));
    }

    [Fact]
    public async Task References_are_tagged_by_their_full_name_and_read_back_by_pull_inspect_and_tags()
    {
        var spec = await PrepareAsync();
        await CliProcess.RunAsync("pack", "--store", Store, $"{Host}/apps/app:2.0", temp.Combine("input", "app.jar"));

        var push = await CliProcess.RunAsync("push", "--store", Store, spec, $"{Host}/apps/spec:1.0");
        var pull = await CliProcess.RunAsync("pull", "--store", Store, $"{Host}/apps/conf:1.0", "-o", temp.Combine("pulled"));
        var tags = await CliProcess.RunAsync("tags", "--store", Store, $"{Host}/apps/app");
        var inspect = await CliProcess.RunAsync("inspect", "--store", Store, $"{Host}/apps/spec:1.0", "--output", "json");

        Assert.Equal(0, push.ExitCode);
        using var index = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(Store, "index.json")));
        var names = index.RootElement.GetProperty("manifests").EnumerateArray()
            .Select(m => m.GetProperty("annotations").GetProperty(Annotations.RefName).GetString()).Order(StringComparer.Ordinal);
        Assert.Equal([$"{Host}/apps/app:1.0", $"{Host}/apps/app:2.0", $"{Host}/apps/conf:1.0", $"{Host}/apps/spec:1.0"], names);

        Assert.Equal(0, pull.ExitCode);
        Assert.Equal("greeting=hi\n", await File.ReadAllTextAsync(temp.Combine("pulled", "conf", "prod.properties")));
        Assert.Equal("1.0\n2.0\n", tags.Stdout);
        Assert.Equal(0, inspect.ExitCode);
        var details = JsonNode.Parse(inspect.Stdout)!["details"]!;
        Assert.Equal(push.Stdout.Trim(), (string?)JsonNode.Parse(inspect.Stdout)!["digest"]);
        Assert.StartsWith("sha256:", (string?)details["sources"]!["app"]!["digest"], StringComparison.Ordinal);
        Assert.Equal("/app", (string?)details["mountPath"]);
    }

    [Fact]
    public async Task If_not_present_reuses_the_cached_tree_without_reading_the_store_and_always_reads_it_again()
    {
        var spec = await PrepareAsync();
        var cache = temp.Combine("cache");
        var first = await CliProcess.RunAsync("assemble", "--store", Store, spec, "--out", temp.Combine("one"), "--cache", cache);
        // The store still names the content, but holds none of it any more.
        Directory.Delete(Path.Combine(Store, "blobs"), recursive: true);

        var cached = await CliProcess.RunAsync("assemble", "--store", Store, spec, "--out", temp.Combine("two"), "--cache", cache);
        var always = await CliProcess.RunAsync("assemble", "--store", Store, spec, "--out", temp.Combine("three"), "--cache", cache, "--pull-policy", "Always");

        Assert.Equal(0, first.ExitCode);
        Assert.Equal(0, cached.ExitCode);
        Assert.Equal(first.Stdout.Split('\n')[0], cached.Stdout.Split('\n')[0]);
        Assert.Contains("is cached; no registry asked", cached.Stderr, StringComparison.Ordinal);
        Assert.Equal(ExpectedTree, TreeSnapshot.Of(temp.Combine("two")));
        Assert.Equal(1, always.ExitCode);
        Assert.StartsWith("Error: sources.", always.Stderr.Split('\n')[^2], StringComparison.Ordinal);
        Assert.False(Directory.Exists(temp.Combine("three")));
    }

    [Fact]
    public async Task A_reference_missing_from_the_store_fails_naming_the_source()
    {
        var spec = await PrepareAsync();
        File.WriteAllText(spec, File.ReadAllText(spec).Replace($"{Host}/apps/app:1.0", $"{Host}/apps/app:9.9", StringComparison.Ordinal));

        var assemble = await CliProcess.RunAsync("assemble", "--store", Store, spec, "--out", temp.Combine("out"), "--cache", temp.Combine("cache"));

        Assert.Equal(1, assemble.ExitCode);
        Assert.StartsWith("Error: sources.app: ", assemble.Stderr.Split('\n')[^2], StringComparison.Ordinal);
        Assert.Contains($"{Host}/apps/app:9.9", assemble.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(temp.Combine("out")));
    }

    [Fact]
    public async Task Store_and_oci_layout_together_are_invalid_input_and_a_missing_store_is_not_created_by_reading()
    {
        var both = await CliProcess.RunAsync("inspect", "--store", Store, "--oci-layout", $"{Store}:1");
        var missing = await CliProcess.RunAsync("inspect", "--store", Store, $"{Host}/apps/app:1.0");

        Assert.Equal(2, both.ExitCode);
        Assert.StartsWith("Error: --store and --oci-layout cannot be combined", both.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, missing.ExitCode);
        Assert.Equal($"Error: store {Store} does not exist (pack or push into it first)\n", missing.Stderr);
        Assert.False(Directory.Exists(Store));
    }

    private static IReadOnlyList<string> ExpectedTree =>
    [
        "app.jar 644 9 " + Sha("jar bytes"),
        "conf/ 755",
        "conf/prod.properties 644 12 " + Sha("greeting=hi\n"),
    ];

    /// <summary>Packs two artifacts into the store and writes a spec over them; returns the spec's path.</summary>
    private async Task<string> PrepareAsync()
    {
        var input = temp.Combine("input");
        Directory.CreateDirectory(Path.Combine(input, "conf"));
        await File.WriteAllTextAsync(Path.Combine(input, "app.jar"), "jar bytes");
        await File.WriteAllTextAsync(Path.Combine(input, "conf", "prod.properties"), "greeting=hi\n");
        File.SetUnixFileMode(Path.Combine(input, "conf", "prod.properties"), (UnixFileMode)0x1A4);
        var app = await CliProcess.RunAsync("pack", "--store", Store, $"{Host}/apps/app:1.0", Path.Combine(input, "app.jar"));
        var conf = await CliProcess.RunAsync("pack", "--store", Store, $"{Host}/apps/conf:1.0", Path.Combine(input, "conf"));
        Assert.Equal(0, app.ExitCode);
        Assert.Equal(0, conf.ExitCode);
        return SpecFixtures.WriteSpec(temp.Path, $$"""
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: offline }
            mount: { path: /app }
            sources:
              app:  { ref: {{Host}}/apps/app:1.0 }
              conf: { ref: {{Host}}/apps/conf:1.0 }
            steps:
              - copy: { from: app, path: app.jar, to: /app.jar }
              - copy: { from: conf, path: conf, to: /conf }
            """);
    }

    private static string Sha(string content) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(content)));
}

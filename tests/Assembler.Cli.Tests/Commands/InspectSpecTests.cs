using System.Text.Json;
using System.Text.Json.Nodes;
using OrasAssemble.Cli.Tests.TestSupport;
using OrasAssemble.Oci;
using OrasAssemble.Spec.Parsing;
using OrasAssemble.Tests.Fixtures;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Cli.Tests.Commands;

/// <summary><c>inspect</c> of a pushed spec: the manifest as for any artifact, plus the spec, its summary and its sources resolved.</summary>
public sealed class InspectSpecTests(AnonymousRegistryFixture fixture) : IClassFixture<AnonymousRegistryFixture>, IDisposable
{
    private readonly TempDirectory temp = new();

    private RegistryServer Server => fixture.Server;

    public void Dispose() => temp.Dispose();

    [Fact]
    public async Task A_pushed_spec_shows_its_type_annotations_spec_and_resolved_sources()
    {
        using var client = RegistryClients.PlainHttp();
        var baseIndex = await SpecFixtures.PushBaseIndexAsync(client.GetRepository($"{Server.Host}/ispec/jre"), "17");
        await File.WriteAllTextAsync(temp.Combine("app.jar"), "jar bytes, 23 of them.\n");
        var app = await CliProcess.RunAsync("pack", "--plain-http", $"{Server.Host}/ispec/app:1.0", temp.Combine("app.jar"));
        var file = SpecFixtures.WriteSpec(temp.Path, $$"""
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: hello-java }
            base: { image: {{Server.Host}}/ispec/jre:17, platform: linux/amd64 }
            mount: { path: /app }
            sources:
              app: { ref: {{Server.Host}}/ispec/app:1.0 }
              jre: { ref: {{Server.Host}}/ispec/jre:17 }
            steps:
              - copy: { from: app, path: app.jar, to: /app.jar }
              - copy: { from: jre, path: /, to: /jre/ }
            """);
        var push = await CliProcess.RunAsync("push", "--plain-http", file, $"{Server.Host}/ispec/spec:1.0");
        var reference = $"{Server.Host}/ispec/spec:1.0";

        var text = await CliProcess.RunAsync("inspect", "--plain-http", reference);
        var json = await CliProcess.RunAsync("inspect", "--plain-http", reference, "--output", "json");

        Assert.Equal(0, push.ExitCode);
        Assert.Equal(0, text.ExitCode);
        var lines = text.Stdout.Split('\n');
        AssertLine($"Digest:        {push.Stdout.Trim()}", lines);
        AssertLine("Artifact type: application/vnd.oras-assemble.spec.v1", lines);
        AssertLine($"  land.oras.assemble.base: {Server.Host}/ispec/jre:17@{baseIndex.Digest}", lines);
        AssertLine("  land.oras.assemble.mount-path: /app", lines);
        AssertLine("  org.opencontainers.image.title: hello-java", lines);
        AssertLine("  1. assembly.json", lines);
        AssertLine("Assembly spec:", lines);
        AssertLine("  mountPath: /app", lines);
        AssertLine($"      digest: {app.Stdout.Trim()}", lines);
        AssertLine("      size: 23", lines);
        AssertLine("      - copy:", lines);
        AssertLine("          from: app", lines);

        Assert.Equal(0, json.ExitCode);
        using var report = JsonDocument.Parse(json.Stdout);
        var root = report.RootElement;
        Assert.Equal("application/vnd.oras-assemble.spec.v1", root.GetProperty("artifactType").GetString());
        Assert.Equal($"{Server.Host}/ispec/jre:17@{baseIndex.Digest}", root.GetProperty("annotations").GetProperty("land.oras.assemble.base").GetString());
        var canonical = SpecJson.Serialize((await SpecDocument.LoadFileAsync(file)).GetValidSpec().Model);
        var layer = root.GetProperty("layers")[0];
        Assert.Equal(Digest.ComputeSha256(canonical), layer.GetProperty("digest").GetString());
        Assert.Equal(canonical.Length, layer.GetProperty("size").GetInt32());

        var details = JsonNode.Parse(json.Stdout)!["details"]!;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(canonical), details["spec"]), details["spec"]!.ToJsonString());
        Assert.Equal("hello-java", (string?)details["name"]);
        Assert.Equal($"{Server.Host}/ispec/jre:17@{baseIndex.Digest}", (string?)details["base"]);
        Assert.Equal("linux/amd64", (string?)details["platform"]);
        var appSource = details["sources"]!["app"]!;
        Assert.Equal((app.Stdout.Trim(), "artifact", 1, 23), ((string?)appSource["digest"], (string?)appSource["kind"], (int)appSource["layers"]!, (long)appSource["size"]!));
        var jreSource = details["sources"]!["jre"]!;
        Assert.Equal(baseIndex.Digest, (string?)jreSource["index"]);
        Assert.Equal("image", (string?)jreSource["kind"]);
        Assert.StartsWith("sha256:", (string?)jreSource["digest"], StringComparison.Ordinal);
        Assert.NotEqual(baseIndex.Digest, (string?)jreSource["digest"]);
    }

    [Fact]
    public async Task A_locked_spec_shows_digest_references_and_a_missing_source_shows_why()
    {
        await File.WriteAllTextAsync(temp.Combine("a.txt"), "a\n");
        var pack = await CliProcess.RunAsync("pack", "--plain-http", $"{Server.Host}/ispec/locked-app:2", temp.Combine("a.txt"));
        var file = SpecFixtures.WriteSpec(temp.Path, $$"""
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: locked }
            sources:
              app: { ref: {{Server.Host}}/ispec/locked-app:2 }
            steps:
              - copy: { from: app, path: a.txt, to: /a.txt }
            """);
        var push = await CliProcess.RunAsync("push", "--plain-http", file, $"{Server.Host}/ispec/locked:1", "--lock");

        // Remove the source's tag target: the spec still names its digest, which the registry no longer serves.
        using var client = RegistryClients.PlainHttp();
        var appRepository = client.GetRepository($"{Server.Host}/ispec/locked-app");
        var inspectBefore = await CliProcess.RunAsync("inspect", "--plain-http", $"{Server.Host}/ispec/locked:1");
        await appRepository.DeleteAsync(await appRepository.ResolveAsync("2"));
        var inspectAfter = await CliProcess.RunAsync("inspect", "--plain-http", $"{Server.Host}/ispec/locked:1", "--output", "json");

        Assert.Equal(0, push.ExitCode);
        Assert.Equal(0, inspectBefore.ExitCode);
        var lines = inspectBefore.Stdout.Split('\n');
        AssertLine($"      ref: {Server.Host}/ispec/locked-app@{pack.Stdout.Trim()}", lines);
        AssertLine($"        ref: {Server.Host}/ispec/locked-app@{pack.Stdout.Trim()}", lines);
        AssertLine($"      digest: {pack.Stdout.Trim()}", lines);

        Assert.Equal(0, inspectAfter.ExitCode);
        var source = JsonNode.Parse(inspectAfter.Stdout)!["details"]!["sources"]!["app"]!;
        Assert.Null(source["digest"]);
        Assert.Contains("not found", (string?)source["error"], StringComparison.Ordinal);
    }

    private static void AssertLine(string expected, string[] lines) =>
        Assert.True(lines.Contains(expected), $"no line \"{expected}\" in:\n{string.Join('\n', lines)}");
}

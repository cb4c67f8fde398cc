using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using OrasAssemble.Cli.Tests.TestSupport;
using OrasAssemble.Content;
using OrasAssemble.Oci;
using OrasAssemble.Spec.Model;
using OrasAssemble.Spec.Parsing;
using OrasAssemble.Tests.Fixtures;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Cli.Tests.Commands;

/// <summary>
/// <c>rebase</c> and <c>history</c> against a real registry (which has no referrers API, so lineage goes through the
/// <c>sha256-&lt;hex&gt;</c> tag fallback): what a new revision holds, what is uploaded, and the platform guard.
/// </summary>
public sealed class RebaseTests(AnonymousRegistryFixture fixture) : IClassFixture<AnonymousRegistryFixture>, IDisposable
{
    private readonly TempDirectory temp = new();

    private RegistryServer Server => fixture.Server;

    public void Dispose() => temp.Dispose();

    [Fact]
    public async Task Rebase_pushes_a_revision_whose_only_change_is_the_base_with_the_previous_one_as_subject()
    {
        using var client = RegistryClients.PlainHttp();
        var baseA = await SpecFixtures.PushPlatformImageAsync(client.GetRepository($"{Server.Host}/rb1/base-a"), "1", "linux/amd64", "base a");
        var baseB = await SpecFixtures.PushPlatformImageAsync(client.GetRepository($"{Server.Host}/rb1/base-b"), "1", "linux/amd64", "base b");
        var specRef = await PushSpecAsync("rb1", $"{Server.Host}/rb1/base-a:1", platform: null);
        var repository = client.GetRepository($"{Server.Host}/rb1/spec");
        var previous = await repository.ResolveAsync("1");
        Server.ClearRequests();

        var rebase = await CliProcess.RunAsync("rebase", "--plain-http", specRef, "--base", $"{Server.Host}/rb1/base-b:1");

        Assert.True(rebase.ExitCode == 0, rebase.ToString());
        Assert.Matches("^sha256:[0-9a-f]{64}\n$", rebase.Stdout);
        var requests = Server.Requests;
        var current = await repository.ResolveAsync("1");
        Assert.Equal(rebase.Stdout.Trim(), current.Digest);
        var manifest = OciJson.Deserialize<Manifest>(await TestBlobs.ReadAsync(repository, current), "manifest");
        Assert.Equal(previous.Basic(), manifest.Subject);
        Assert.Equal(SpecArtifact.ArtifactType, manifest.ArtifactType);
        Assert.Equal($"{Server.Host}/rb1/base-b:1@{baseB.Digest}", manifest.Annotations![SpecArtifact.BaseAnnotation]);
        Assert.Equal("/app", manifest.Annotations[SpecArtifact.MountPathAnnotation]);
        var oldManifest = OciJson.Deserialize<Manifest>(await TestBlobs.ReadAsync(repository, previous), "manifest");
        Assert.Equal($"{Server.Host}/rb1/base-a:1@{baseA.Digest}", oldManifest.Annotations![SpecArtifact.BaseAnnotation]);
        Assert.True(string.CompareOrdinal(manifest.Annotations[Annotations.Created], oldManifest.Annotations[Annotations.Created]) >= 0);

        // The spec layer is the old spec with base.image replaced, byte for byte in canonical form.
        var oldSpec = SpecJson.Deserialize(await TestBlobs.ReadAsync(repository, Assert.Single(oldManifest.Layers))).Model;
        var newLayer = Assert.Single(manifest.Layers);
        var expected = SpecJson.Serialize(oldSpec with { Base = oldSpec.Base! with { Image = $"{Server.Host}/rb1/base-b:1" } });
        Assert.Equal(expected, await TestBlobs.ReadAsync(repository, newLayer));

        // Uploaded: the new spec layer, and nothing else; manifests: the revision and the referrers fallback index.
        var uploads = requests.Where(r => r.PathWithoutQuery.Contains("/blobs/uploads", StringComparison.Ordinal)).ToList();
        Assert.Equal(["POST /v2/rb1/spec/blobs/uploads/"], uploads.Where(r => r.Method == "POST").Select(r => $"{r.Method} {r.PathWithoutQuery}"));
        var put = Assert.Single(uploads, r => r.Method == "PUT");
        Assert.Contains("digest=" + Uri.EscapeDataString(newLayer.Digest), put.Path, StringComparison.Ordinal);
        Assert.DoesNotContain(requests, r => r.Method == "PATCH");
        Assert.Equal(
            ["/v2/rb1/spec/manifests/1", $"/v2/rb1/spec/manifests/{previous.Digest.Replace(':', '-')}"],
            requests.Where(r => r.Method == "PUT" && r.Path.Contains("/manifests/", StringComparison.Ordinal)).Select(r => r.PathWithoutQuery).Order(StringComparer.Ordinal));

        var history = await CliProcess.RunAsync("history", "--plain-http", specRef);
        Assert.True(history.ExitCode == 0, history.ToString());
        var lines = history.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Equal($"{current.Digest} {Server.Host}/rb1/base-b:1@{baseB.Digest} {manifest.Annotations[Annotations.Created]}", lines[0]);
        Assert.Equal($"{previous.Digest} {Server.Host}/rb1/base-a:1@{baseA.Digest} {oldManifest.Annotations[Annotations.Created]}", lines[1]);

        var successors = await CliProcess.RunAsync("history", "--plain-http", $"{Server.Host}/rb1/spec@{previous.Digest}", "--referrers");
        Assert.True(successors.ExitCode == 0, successors.ToString());
        Assert.Equal(lines[0] + "\n", successors.Stdout);
    }

    [Fact]
    public async Task A_new_base_for_another_platform_is_refused_and_nothing_is_pushed_unless_forced()
    {
        using var client = RegistryClients.PlainHttp();
        var baseA = await SpecFixtures.PushPlatformImageAsync(client.GetRepository($"{Server.Host}/rb2/base-a"), "1", "linux/amd64", "base a");
        var arm = await SpecFixtures.PushPlatformImageAsync(client.GetRepository($"{Server.Host}/rb2/base-arm"), "1", "linux/arm64", "base arm");
        var specRef = await PushSpecAsync("rb2", $"{Server.Host}/rb2/base-a:1", platform: null);
        var repository = client.GetRepository($"{Server.Host}/rb2/spec");
        var previous = await repository.ResolveAsync("1");
        Server.ClearRequests();

        var refused = await CliProcess.RunAsync("rebase", "--plain-http", specRef, "--base", $"{Server.Host}/rb2/base-arm:1");

        Assert.Equal(2, refused.ExitCode);
        Assert.Equal(
            $"Error: refusing to rebase onto {Server.Host}/rb2/base-arm:1: it provides linux/arm64, not linux/amd64, "
            + $"the platform of the current base {Server.Host}/rb2/base-a:1@{baseA.Digest}; pass --force to rebase anyway\n",
            refused.Stderr);
        Assert.Empty(refused.Stdout);
        Assert.DoesNotContain(Server.Requests, r => r.Method is "PUT" or "POST" or "PATCH" or "DELETE");
        Assert.Equal(previous, await repository.ResolveAsync("1"));

        var forced = await CliProcess.RunAsync("rebase", "--plain-http", specRef, "--base", $"{Server.Host}/rb2/base-arm:1", "--force", "--output", "json");

        Assert.True(forced.ExitCode == 0, forced.ToString());
        var report = JsonNode.Parse(forced.Stdout)!;
        var current = await repository.ResolveAsync("1");
        Assert.Equal(current.Digest, (string?)report["digest"]);
        Assert.Equal(previous.Digest, (string?)report["previous"]);
        Assert.Equal($"{Server.Host}/rb2/base-arm:1@{arm.Digest}", (string?)report["base"]);
        Assert.True((bool)report["forced"]!);
        var manifest = OciJson.Deserialize<Manifest>(await TestBlobs.ReadAsync(repository, current), "manifest");
        Assert.Equal(previous.Digest, manifest.Subject!.Digest);
    }

    [Fact]
    public async Task The_spec_platform_is_the_guard_and_an_index_offering_it_passes()
    {
        using var client = RegistryClients.PlainHttp();
        await SpecFixtures.PushPlatformImageAsync(client.GetRepository($"{Server.Host}/rb3/base-a"), "1", "linux/amd64", "base a");
        var index = await SpecFixtures.PushBaseIndexAsync(client.GetRepository($"{Server.Host}/rb3/base-index"), "2");
        await SpecFixtures.PushPlatformImageAsync(client.GetRepository($"{Server.Host}/rb3/base-arm"), "1", "linux/arm64/v8", "base arm");
        var specRef = await PushSpecAsync("rb3", $"{Server.Host}/rb3/base-a:1", platform: "linux/amd64");

        var refused = await CliProcess.RunAsync("rebase", "--plain-http", specRef, "--base", $"{Server.Host}/rb3/base-arm:1");
        var toIndex = await CliProcess.RunAsync("rebase", "--plain-http", specRef, "--base", $"{Server.Host}/rb3/base-index:2", "--tag", "2");

        Assert.Equal(2, refused.ExitCode);
        Assert.Equal(
            $"Error: refusing to rebase onto {Server.Host}/rb3/base-arm:1: it provides linux/arm64/v8, not linux/amd64, "
            + "the platform of the spec's base.platform; pass --force to rebase anyway\n",
            refused.Stderr);
        Assert.True(toIndex.ExitCode == 0, toIndex.ToString());
        var repository = client.GetRepository($"{Server.Host}/rb3/spec");
        Assert.Equal(toIndex.Stdout.Trim(), (await repository.ResolveAsync("2")).Digest);
        Assert.NotEqual(toIndex.Stdout.Trim(), (await repository.ResolveAsync("1")).Digest);
        var manifest = OciJson.Deserialize<Manifest>(await TestBlobs.ReadAsync(repository, await repository.ResolveAsync("2")), "manifest");
        Assert.Equal($"{Server.Host}/rb3/base-index:2@{index.Digest}", manifest.Annotations![SpecArtifact.BaseAnnotation]);
        var spec = SpecJson.Deserialize(await TestBlobs.ReadAsync(repository, manifest.Layers[0])).Model;
        Assert.Equal("linux/amd64", spec.Base!.Platform);

        var history = await CliProcess.RunAsync("history", "--plain-http", $"{Server.Host}/rb3/spec:2", "--output", "json");
        var revisions = JsonNode.Parse(history.Stdout)!["revisions"]!.AsArray();
        Assert.Equal(2, revisions.Count);
        Assert.Equal((string?)revisions[1]!["digest"], (string?)revisions[0]!["subject"]);
        Assert.Null(revisions[1]!["subject"]);
    }

    [Fact]
    public async Task A_locked_base_stays_locked_and_a_spec_without_a_base_cannot_be_rebased()
    {
        using var client = RegistryClients.PlainHttp();
        await SpecFixtures.PushPlatformImageAsync(client.GetRepository($"{Server.Host}/rb4/base-a"), "1", "linux/amd64", "base a");
        var baseB = await SpecFixtures.PushPlatformImageAsync(client.GetRepository($"{Server.Host}/rb4/base-b"), "1", "linux/amd64", "base b");
        var specRef = await PushSpecAsync("rb4", $"{Server.Host}/rb4/base-a:1", platform: null, "--lock");
        var noBase = SpecFixtures.WriteSpec(temp.Path, $$"""
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: files-only }
            sources:
              app: { ref: {{Server.Host}}/rb4/app:1 }
            steps:
              - copy: { from: app, path: app.jar, to: /app.jar }
            """, "no-base.yaml");
        await CliProcess.RunAsync("push", "--plain-http", noBase, $"{Server.Host}/rb4/files:1");

        var rebase = await CliProcess.RunAsync("rebase", "--plain-http", specRef, "--base", $"{Server.Host}/rb4/base-b:1");
        var withoutBase = await CliProcess.RunAsync("rebase", "--plain-http", $"{Server.Host}/rb4/files:1", "--base", $"{Server.Host}/rb4/base-b:1");

        Assert.True(rebase.ExitCode == 0, rebase.ToString());
        var repository = client.GetRepository($"{Server.Host}/rb4/spec");
        var manifest = OciJson.Deserialize<Manifest>(await TestBlobs.ReadAsync(repository, await repository.ResolveAsync("1")), "manifest");
        var spec = SpecJson.Deserialize(await TestBlobs.ReadAsync(repository, manifest.Layers[0])).Model;
        Assert.Equal($"{Server.Host}/rb4/base-b@{baseB.Digest}", spec.Base!.Image);
        Assert.Equal(2, withoutBase.ExitCode);
        Assert.Equal($"Error: {Server.Host}/rb4/files:1: the spec has no base image to rebase (it has no base field)\n", withoutBase.Stderr);
    }

    [Fact]
    public async Task Rebase_and_history_work_in_the_store_without_a_registry()
    {
        const string host = "registry.invalid";
        var store = temp.Combine("store");
        using (var layout = await Layout.OciLayoutStore.OpenAsync(store, new Layout.OciLayoutStoreOptions { CreateIfMissing = true }))
        {
            await SpecFixtures.PushPlatformImageAsync(layout, $"{host}/base/a:1", "linux/amd64", "base a");
            await SpecFixtures.PushPlatformImageAsync(layout, $"{host}/base/b:1", "linux/amd64", "base b");
            await SpecFixtures.PushPlatformImageAsync(layout, $"{host}/base/arm:1", "linux/arm64", "base arm");
        }

        await File.WriteAllTextAsync(temp.Combine("app.jar"), "jar bytes");
        var pack = await CliProcess.RunAsync("pack", "--store", store, $"{host}/apps/app:1", temp.Combine("app.jar"));
        var file = SpecFixtures.WriteSpec(temp.Path, $$"""
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: hello }
            base: { image: {{host}}/base/a:1 }
            sources:
              app: { ref: {{host}}/apps/app:1 }
            steps:
              - copy: { from: app, path: app.jar, to: /app.jar }
            """);
        var push = await CliProcess.RunAsync("push", "--store", store, file, $"{host}/apps/spec:1");

        var refused = await CliProcess.RunAsync("rebase", "--store", store, $"{host}/apps/spec:1", "--base", $"{host}/base/arm:1");
        var rebase = await CliProcess.RunAsync("rebase", "--store", store, $"{host}/apps/spec:1", "--base", $"{host}/base/b:1");
        var history = await CliProcess.RunAsync("history", "--store", store, $"{host}/apps/spec:1");
        var successors = await CliProcess.RunAsync("history", "--store", store, $"{host}/apps/spec@{push.Stdout.Trim()}", "--referrers");
        var inspect = await CliProcess.RunAsync("inspect", "--store", store, $"{host}/apps/spec:1", "--output", "json");

        Assert.Equal(0, pack.ExitCode);
        Assert.Equal(0, push.ExitCode);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("it provides linux/arm64, not linux/amd64", refused.Stderr, StringComparison.Ordinal);
        Assert.True(rebase.ExitCode == 0, rebase.ToString());
        Assert.Equal(rebase.Stdout.Trim(), (string?)JsonNode.Parse(inspect.Stdout)!["digest"]);
        Assert.True(history.ExitCode == 0, history.ToString());
        Assert.Matches(new Regex($"^{rebase.Stdout.Trim()} {Regex.Escape(host)}/base/b:1@sha256:[0-9a-f]{{64}} \\S+Z\n{push.Stdout.Trim()} {Regex.Escape(host)}/base/a:1@sha256:[0-9a-f]{{64}} \\S+Z\n$"), history.Stdout);
        Assert.True(successors.ExitCode == 0, successors.ToString());
        Assert.StartsWith(rebase.Stdout.Trim() + " ", successors.Stdout, StringComparison.Ordinal);
    }

    /// <summary>Packs an application artifact and pushes a spec on <paramref name="baseImage"/> as <c>&lt;prefix&gt;/spec:1</c> with the CLI.</summary>
    private async Task<string> PushSpecAsync(string prefix, string baseImage, string? platform, params string[] pushFlags)
    {
        var jar = temp.Combine($"{prefix}-app.jar");
        await File.WriteAllTextAsync(jar, "application bytes for " + prefix);
        var pack = await CliProcess.RunAsync("pack", "--plain-http", $"{Server.Host}/{prefix}/app:1", jar);
        Assert.True(pack.ExitCode == 0, pack.ToString());
        var platformLine = platform is null ? "" : $", platform: {platform}";
        var file = SpecFixtures.WriteSpec(temp.Path, $$"""
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: hello }
            base: { image: {{baseImage}}{{platformLine}} }
            mount: { path: /app }
            sources:
              app: { ref: {{Server.Host}}/{{prefix}}/app:1 }
            steps:
              - copy: { from: app, path: {{prefix}}-app.jar, to: /app.jar }
            """, $"{prefix}.yaml");
        var specRef = $"{Server.Host}/{prefix}/spec:1";
        var push = await CliProcess.RunAsync(["push", "--plain-http", file, specRef, .. pushFlags], stdin: null);
        Assert.True(push.ExitCode == 0, push.ToString());
        return specRef;
    }
}

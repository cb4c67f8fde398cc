using OrasAssemble.Registry.Remote;
using OrasAssemble.Tests.Execution;

namespace OrasAssemble.CsiNode.Tests.TestSupport;

/// <summary>A small application in a registry: a JAR artifact, a config folder artifact, a tools image and a spec over them.</summary>
internal static class SampleContent
{
    /// <summary>What the sample spec assembles, as <see cref="TreeSnapshot"/> lists it.</summary>
    public static SortedDictionary<string, string> ExpectedTree => new(StringComparer.Ordinal)
    {
        ["app.jar"] = "file 0644 jar bytes",
        ["bin"] = "dir 0755",
        ["bin/tool"] = "file 0755 tool v2",
        ["conf"] = "dir 0755",
        ["conf/application.properties"] = "file 0644 greeting=hello",
    };

    /// <summary>Blobs a first assembly downloads: JAR, config tar, two image layers and the spec layer.</summary>
    public const int BlobCount = 5;

    /// <summary>
    /// Pushes everything under <c>host/prefix/...</c>; returns the spec's reference. The spec names its sources (and the
    /// returned reference names the spec) on <paramref name="referenceHost"/>, e.g. a proxy in front of the registry.
    /// </summary>
    public static async Task<string> PushSpecAsync(RegistryClient client, string host, string prefix, string? referenceHost = null)
    {
        var via = referenceHost ?? host;
        await ContentBuilder.PushArtifactAsync(client.GetRepository($"{host}/{prefix}/jar"), "1.0",
            [("app.jar", "jar bytes", "application/java-archive")]);
        await ContentBuilder.PushArtifactAsync(client.GetRepository($"{host}/{prefix}/conf"), "1.0", [],
            [("conf", new TarBuilder().Directory("conf").File("conf/prod.properties", "greeting=hello").File("conf/dev.properties", "greeting=dev"))]);
        await ContentBuilder.PushImageAsync(client.GetRepository($"{host}/{prefix}/tools"), "1.0",
            new TarBuilder().Directory("bin").File("bin/tool", "tool v1", mode: "755").File("bin/old", "old"),
            new TarBuilder().Whiteout("bin/.wh.old").File("bin/tool", "tool v2", mode: "755"));
        await SpecArtifactPusher.PushAsync(client.GetRepository($"{host}/{prefix}/spec"), "1.0", $$"""
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: sample }
            sources:
              app:   { ref: {{via}}/{{prefix}}/jar:1.0 }
              conf:  { ref: {{via}}/{{prefix}}/conf:1.0 }
              tools: { ref: {{via}}/{{prefix}}/tools:1.0 }
            steps:
              - copy:   { from: app, path: app.jar, to: /app.jar }
              - copy:   { from: conf, path: conf/prod.properties, to: /conf/application.properties }
              - copy:   { from: tools, path: bin, to: /bin }
            """);
        return $"{via}/{prefix}/spec:1.0";
    }

    /// <summary>A plain ORAS artifact with files of two media types; returns its reference.</summary>
    public static async Task<string> PushFilesAsync(RegistryClient client, string host, string repository)
    {
        await ContentBuilder.PushArtifactAsync(client.GetRepository($"{host}/{repository}"), "v1",
            [("model.bin", "weights", "application/vnd.example.model"), ("README.md", "read me", "text/markdown")],
            [("data", new TarBuilder().Directory("data").File("data/a.csv", "1,2"))]);
        return $"{host}/{repository}:v1";
    }
}

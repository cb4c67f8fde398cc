using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using OrasAssemble.Spec.Model;
using OrasAssemble.Spec.Parsing;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Spec;

/// <summary>Keeps spec/assembly-spec.md and the code in step: its examples are valid, its fields are the schema's.</summary>
public sealed partial class SpecDocumentationTests
{
    private static readonly Lazy<string> Document = new(() => File.ReadAllText(RepositoryFiles.PathOf("spec/assembly-spec.md")));

    public static TheoryData<int, string> CompleteExamples()
    {
        var data = new TheoryData<int, string>();
        foreach (var (line, block) in Blocks("yaml"))
        {
            // Fragments illustrate one field; complete specs start with apiVersion (after an optional modeline).
            var body = string.Join('\n', block.Split('\n').SkipWhile(l => l.StartsWith('#')));
            if (body.StartsWith("apiVersion:", StringComparison.Ordinal))
            {
                data.Add(line, block);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CompleteExamples))]
    public void CompleteExamplesAreValid(int line, string yaml)
    {
        var errors = SpecDocument.Load(yaml).Errors.Select(e => $"example at line {line}: {e}");

        Assert.Empty(errors);
    }

    [Fact]
    public void ThereAreCompleteExamples()
    {
        Assert.NotEmpty(CompleteExamples());
    }

    [Fact]
    public void TopLevelFragmentsAreValidInASpec()
    {
        var checkedAny = false;
        foreach (var (line, block) in Blocks("yaml"))
        {
            var key = block.Split(':')[0];
            if (key is not ("metadata" or "base" or "mount" or "sources" or "options") || IsKubernetesObject(block))
            {
                continue;
            }

            // A minimal spec with the fragment in place of its own field of that name.
            var parts = new Dictionary<string, string>
            {
                ["head"] = "apiVersion: assemble.oras.land/v1\nkind: Assembly\n",
                ["metadata"] = "metadata: { name: fragment }\n",
                ["sources"] = "sources: { app: { ref: registry.example/app:1 } }\n",
                ["steps"] = "steps: [ { copy: { from: app, path: a, to: /a } } ]\n",
            };
            parts[key] = block;
            var errors = SpecDocument.Load(string.Concat(parts.Values))
                .Errors
                .Where(e => !e.Message.Contains("is not used by any copy step", StringComparison.Ordinal) && !e.Message.Contains("is not defined under sources", StringComparison.Ordinal))
                .Select(e => $"fragment at line {line}: {e}");
            Assert.Empty(errors);
            checkedAny = true;
        }

        Assert.True(checkedAny);
    }

    [Fact]
    public void StepFragmentsAreValidSteps()
    {
        const string frame = """
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: steps }
            sources:
              app: { ref: registry.example/app:1 }
              conf: { ref: registry.example/conf:1 }
              tools: { ref: registry.example/tools:1 }
              site: { ref: registry.example/site:1 }
            steps:
              - copy: { from: app, path: a, to: /app.jar }
              - copy: { from: conf, path: c, to: /c }
              - copy: { from: tools, path: t, to: /t }
              - copy: { from: site, path: s, to: /s }

            """;
        foreach (var (line, block) in Blocks("yaml").Where(b => b.Block.StartsWith("- ", StringComparison.Ordinal) || b.Block.StartsWith("steps:", StringComparison.Ordinal)))
        {
            var steps = block.StartsWith("steps:", StringComparison.Ordinal) ? block["steps:".Length..].TrimStart('\n') : block.Replace("- ", "  - ", StringComparison.Ordinal);
            var errors = SpecDocument.Load(frame + steps)
                .Errors
                .Where(e => !e.Message.Contains("is already written", StringComparison.Ordinal))
                .Select(e => $"steps at line {line}: {e}");
            Assert.Empty(errors);
        }
    }

    [Fact]
    public void TheCanonicalJsonExampleIsCanonical()
    {
        var json = Blocks("json").First(b => b.Block.StartsWith("{\"apiVersion\"", StringComparison.Ordinal)).Block.TrimEnd('\n');

        var spec = SpecJson.Deserialize(Encoding.UTF8.GetBytes(json)).Model;

        Assert.Equal(json, Encoding.UTF8.GetString(SpecJson.Serialize(spec)));
    }

    [Fact]
    public void EveryFieldOfTheSchemaIsDocumented()
    {
        using var schema = JsonDocument.Parse(SpecSchema.Text);
        var names = new HashSet<string>();
        Collect(schema.RootElement, names);
        names.Remove("$schema");

        var undocumented = names.Where(name => !Document.Value.Contains($"`{name}`", StringComparison.Ordinal)).Order();

        Assert.Empty(undocumented);
    }

    [Fact]
    public void TheArtifactNamesMatchTheCode()
    {
        foreach (var name in new[] { SpecArtifact.ArtifactType, SpecArtifact.LayerMediaType, SpecArtifact.LayerTitle, SpecArtifact.BaseAnnotation, SpecArtifact.MountPathAnnotation })
        {
            Assert.Contains($"`{name}`", Document.Value, StringComparison.Ordinal);
        }
    }

    // Pod manifests in the document (volumes, annotations) are Kubernetes YAML, not spec fragments.
    private static bool IsKubernetesObject(string block) =>
        block.Contains("csi.oras.land", StringComparison.Ordinal) || block.Contains("assemble.oras.land/spec", StringComparison.Ordinal);

    private static void Collect(JsonElement element, HashSet<string> names)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        foreach (var property in element.EnumerateObject())
        {
            if (property.Name == "properties")
            {
                foreach (var field in property.Value.EnumerateObject())
                {
                    names.Add(field.Name);
                }
            }

            Collect(property.Value, names);
        }
    }

    private static IEnumerable<(int Line, string Block)> Blocks(string language)
    {
        foreach (Match match in Fence().Matches(Document.Value))
        {
            if (match.Groups["lang"].Value == language)
            {
                var line = Document.Value[..match.Index].Count(c => c == '\n') + 1;
                yield return (line, match.Groups["body"].Value);
            }
        }
    }

    [GeneratedRegex(@"^```(?<lang>\w+)\n(?<body>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex Fence();
}

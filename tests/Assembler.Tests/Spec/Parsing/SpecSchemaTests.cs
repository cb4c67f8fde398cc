using System.Text.Json;
using OrasAssemble.Spec.Parsing;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Spec.Parsing;

public sealed class SpecSchemaTests
{
    [Fact]
    public void TheEmbeddedSchemaIsTheOneInTheRepository()
    {
        var file = File.ReadAllText(RepositoryFiles.PathOf("schemas/assembly-spec.v1.schema.json"));

        Assert.Equal(file, SpecSchema.Text);
    }

    [Fact]
    public void TheSchemaIsDraft07ForEditors()
    {
        using var schema = JsonDocument.Parse(SpecSchema.Text);

        Assert.Equal("http://json-schema.org/draft-07/schema#", schema.RootElement.GetProperty("$schema").GetString());
    }

    [Fact]
    public void EveryFieldTheSchemaAllowsReachesTheModel()
    {
        // every-field.yaml sets every field of the language to a non-default value; if the schema allowed a
        // field the model builder ignores, it would be missing from the canonical JSON.
        var text = File.ReadAllText(RepositoryFiles.PathOf("tests/Assembler.Tests/Spec/cases/valid/every-field.yaml"));
        var json = SpecJson.Serialize(SpecDocument.Load(text).GetValidSpec().Model);
        using var written = JsonDocument.Parse(json);
        using var schema = JsonDocument.Parse(SpecSchema.Text);

        var allowed = FieldsOf(schema.RootElement, schema.RootElement).Where(f => f != "$schema").ToHashSet();
        var present = new HashSet<string>();
        Collect(written.RootElement, present);

        Assert.Empty(allowed.Except(present).Order());
    }

    private static IEnumerable<string> FieldsOf(JsonElement schema, JsonElement root)
    {
        if (schema.TryGetProperty("$ref", out var reference))
        {
            var name = reference.GetString()!["#/definitions/".Length..];
            schema = root.GetProperty("definitions").GetProperty(name);
        }

        if (schema.TryGetProperty("properties", out var properties))
        {
            foreach (var property in properties.EnumerateObject())
            {
                yield return property.Name;
                foreach (var nested in FieldsOf(property.Value, root))
                {
                    yield return nested;
                }
            }
        }

        foreach (var keyword in new[] { "items", "additionalProperties" })
        {
            if (schema.TryGetProperty(keyword, out var child) && child.ValueKind == JsonValueKind.Object)
            {
                foreach (var nested in FieldsOf(child, root))
                {
                    yield return nested;
                }
            }
        }
    }

    private static void Collect(JsonElement element, HashSet<string> names)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
            {
                names.Add(property.Name);
                Collect(property.Value, names);
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                Collect(item, names);
            }
        }
    }
}

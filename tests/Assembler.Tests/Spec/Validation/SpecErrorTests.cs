using OrasAssemble.Spec.Parsing;
using OrasAssemble.Spec.Validation;

namespace OrasAssemble.Tests.Spec.Validation;

public sealed class SpecErrorTests
{
    [Theory]
    [InlineData("steps[2].copy.to", 7, 24, "is required", "assembly.yaml:7:24: steps[2].copy.to: is required")]
    [InlineData("", 1, 1, "the spec is empty", "assembly.yaml:1:1: the spec is empty")]
    [InlineData("sources.app", 0, 0, "is not used", "assembly.yaml: sources.app: is not used")]
    public void FormatsAsCompilersDo(string path, int line, int column, string message, string expected)
    {
        var error = new SpecError(path, line, column, message);

        Assert.Equal(expected, error.Format("assembly.yaml"));
        Assert.Equal(expected["assembly.yaml:".Length..].TrimStart(' '), error.ToString());
    }

    [Fact]
    public void QuotesOddKeysInPaths()
    {
        const string text = """
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: keys, annotations: { "": x } }
            sources:
              app: { ref: registry.example/app:1, annotations: { "": empty } }
              "my app": { ref: registry.example/app:1 }
            steps:
              - copy: { from: app, path: a, to: /a }
              - copy: { from: my app, path: a, to: /b }
            """;

        var errors = SpecDocument.Load(text).Errors.Select(e => e.ToString());

        Assert.Equal(
            [
                "3:40: metadata.annotations[\"\"]: an annotation key is empty",
                "5:54: sources.app.annotations[\"\"]: an annotation key is empty",
                "6:3: sources[\"my app\"]: source name \"my app\" must be 1 to 63 lowercase letters, digits and '-', starting and ending with a letter or digit",
            ],
            errors);
    }
}

using OrasAssemble.Spec.Model;
using OrasAssemble.Spec.Parsing;
using OrasAssemble.Spec.Validation;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Spec.Validation;

public sealed class SpecValidatorTests
{
    [Fact]
    public void ValidatesASpecBuiltInCodeWithoutPositions()
    {
        var spec = new AssemblySpec
        {
            Metadata = new SpecMetadata { Name = "code" },
            Sources = new Dictionary<string, SourceSpec> { ["app"] = new() { Ref = "registry.example/app:1" } },
            Steps =
            [
                new CopyStep { From = "app", Path = "a", To = "/a" },
                new CopyStep { From = "ap", Path = "b", To = "b" },
            ],
        };

        var errors = SpecValidator.Validate(spec);

        Assert.Equal(
            [
                "steps[1].copy.from: source \"ap\" is not defined under sources; did you mean \"app\"?",
                "steps[1].copy.to: \"b\" must be an absolute path in the tree, starting with '/'",
            ],
            errors.Select(e => e.ToString()));
        Assert.All(errors, error => Assert.False(error.Position.IsKnown));
        Assert.Equal("spec: steps[1].copy.to: \"b\" must be an absolute path in the tree, starting with '/'", errors[1].Format("spec"));
    }

    [Fact]
    public void AValidSpecBuiltInCodeHasNoErrors()
    {
        var spec = new AssemblySpec
        {
            Metadata = new SpecMetadata { Name = "code" },
            Sources = new Dictionary<string, SourceSpec> { ["app"] = new() { Ref = "registry.example/app:1" } },
            Steps = [new CopyStep { From = "app", Path = "a", To = "/a" }],
        };

        Assert.Empty(SpecValidator.Validate(spec));
    }

    [Fact]
    public void ReportsStructureAndMeaningErrorsTogether()
    {
        const string text = """
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: both }
            sources:
              app: { ref: registry.example/app:1, platform: 5 }
            steps:
              - copy: { from: app, path: a, to: /a, mode: 755 }
              - copy: { from: app, path: "../b", to: /b }
            """;

        var errors = SpecDocument.Load(text).Errors.Select(e => e.ToString());

        Assert.Equal(
            [
                "5:39: sources.app.platform: must be a string, not a number; put it in quotes",
                "7:41: steps[0].copy.mode: must be a string, not a number; put it in quotes",
                "8:24: steps[1].copy.path: \"../b\" must not contain '..'",
            ],
            errors);
    }

    [Fact]
    public void ValidatesAParsedSpecSeparately()
    {
        var parsed = SpecParser.Parse("apiVersion: assemble.oras.land/v1\nkind: Assembly\n");

        var errors = SpecValidator.Validate(parsed);

        Assert.Equal(["1:1: metadata: is required", "1:1: sources: is required", "1:1: steps: is required"], errors.Select(e => e.ToString()).Order(StringComparer.Ordinal));
        Assert.NotNull(parsed.Spec);
    }

    [Fact]
    public void GetValidSpecThrowsWithEveryError()
    {
        var document = SpecDocument.Load("kind: Assembly\n");

        var invalid = Assert.Throws<InvalidSpecException>(() => document.GetValidSpec("assembly.yaml"));

        Assert.Equal(document.Errors, invalid.Errors);
        Assert.Equal("assembly.yaml", invalid.File);
        Assert.Equal(
            "invalid assembly spec (4 errors):\nassembly.yaml:1:1: apiVersion: is required\nassembly.yaml:1:1: metadata: is required\n"
            + "assembly.yaml:1:1: sources: is required\nassembly.yaml:1:1: steps: is required",
            invalid.Message.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task LoadsAFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"spec-{Guid.NewGuid():N}.yaml");
        try
        {
            await File.WriteAllTextAsync(path, "kind: Assembly\n" + new string('#', SpecLimits.MaxBytes * 3));

            var document = await SpecDocument.LoadFileAsync(path);

            var error = Assert.Single(document.Errors);
            Assert.Equal($"1:1: the spec is {SpecLimits.MaxBytes + 1} bytes; the limit is {SpecLimits.MaxBytes}", error.ToString());

            await File.WriteAllBytesAsync(path, File.ReadAllBytes(RepositoryFiles.PathOf("tests/Assembler.Tests/Spec/cases/valid/hello-java.yaml")));
            Assert.True((await SpecDocument.LoadFileAsync(path)).IsValid);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ReportsTextThatIsNotUnicodeInsteadOfThrowing()
    {
        var spec = new AssemblySpec
        {
            Metadata = new SpecMetadata { Name = "x\uDC00" },
            Sources = new Dictionary<string, SourceSpec> { ["app"] = new() { Ref = "registry.example/app:1" } },
            Steps = [new CopyStep { From = "app", Path = "a", To = "/a" }],
        };

        var error = Assert.Single(SpecValidator.Validate(spec));

        Assert.StartsWith("the spec contains a string with an unpaired UTF-16 surrogate", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnEmptyPositionMapKnowsNothing()
    {
        Assert.Equal(SpecPosition.None, SpecPositionMap.Empty.Find("steps[0]"));
        Assert.Equal(0, SpecPositionMap.Empty.Count);
    }
}

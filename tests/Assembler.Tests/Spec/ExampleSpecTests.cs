using OrasAssemble.Spec.Parsing;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Spec;

public sealed class ExampleSpecTests
{
    [Fact]
    public async Task The_java_example_spec_is_valid_and_says_what_its_README_promises()
    {
        var file = Path.Combine(RepositoryFiles.Root, "examples", "java-app", "assembly.yaml");

        var document = await SpecDocument.LoadFileAsync(file);

        Assert.Empty(document.Errors.Select(e => e.Format("assembly.yaml")));
        var spec = document.Spec!;
        Assert.Equal("hello-java", spec.Metadata.Name);
        Assert.Equal("/app", spec.Mount!.Path);
        Assert.StartsWith("registry.example/library/openjdk:", spec.Base!.Image, StringComparison.Ordinal);
        Assert.Equal(["app", "conf"], spec.Sources.Keys);
    }
}

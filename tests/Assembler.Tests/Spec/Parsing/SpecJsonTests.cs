using System.Text;
using OrasAssemble.Oci;
using OrasAssemble.Spec.Model;
using OrasAssemble.Spec.Parsing;
using OrasAssemble.Spec.Validation;

namespace OrasAssemble.Tests.Spec.Parsing;

public sealed class SpecJsonTests
{
    private static AssemblySpec Example => new()
    {
        Metadata = new SpecMetadata { Name = "hello" },
        Sources = new Dictionary<string, SourceSpec> { ["app"] = new() { Ref = "registry.example/app:1" } },
        Steps = [new CopyStep { From = "app", Path = "app.jar", To = "/app.jar" }],
    };

    [Fact]
    public void WritesTheCanonicalForm()
    {
        var json = Encoding.UTF8.GetString(SpecJson.Serialize(Example));

        Assert.Equal(
            """{"apiVersion":"assemble.oras.land/v1","kind":"Assembly","metadata":{"name":"hello"},"sources":{"app":{"ref":"registry.example/app:1"}},"steps":[{"copy":{"from":"app","path":"app.jar","to":"/app.jar"}}]}""",
            json);
    }

    [Fact]
    public void TheSameSpecWrittenDifferentlyHasTheSameDigest()
    {
        const string compact = """
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: same }
            sources:
              b: { ref: registry.example/b:1 }
              a: { ref: registry.example/a:1 }
            steps:
              - copy: { from: a, path: x, to: /x, mode: "644" }
              - copy: { from: b, path: y, to: /y }
            """;
        const string spelledOut = """
            # Same meaning: other key order, defaults written out, another mode spelling, JSON-style quoting.
            kind: "Assembly"
            apiVersion: 'assemble.oras.land/v1'
            metadata:
              annotations: {}
              name: same
            options: { allowSetuid: false }
            sources:
              a: { ref: registry.example/a:1, annotations: {} }
              b: { ref: registry.example/b:1 }
            steps:
              - copy: { to: /x, mode: "0644", from: a, path: x, overwrite: false }
              - copy: { from: b, path: y, to: /y }
            """;

        var one = SpecJson.Serialize(SpecDocument.Load(compact).GetValidSpec().Model);
        var other = SpecJson.Serialize(SpecDocument.Load(spelledOut).GetValidSpec().Model);

        Assert.Equal(Descriptor.Create(one, SpecJson.MediaType).Digest, Descriptor.Create(other, SpecJson.MediaType).Digest);
    }

    [Fact]
    public void OrderOfStepsMatters()
    {
        var swapped = Example with
        {
            Steps = [new LinkStep { Path = "/b", Target = "a" }, new LinkStep { Path = "/a", Target = "b" }],
        };
        var original = Example with
        {
            Steps = [new LinkStep { Path = "/a", Target = "b" }, new LinkStep { Path = "/b", Target = "a" }],
        };

        Assert.NotEqual(SpecJson.Serialize(original), SpecJson.Serialize(swapped));
    }

    [Fact]
    public void SortsKeysByUtf16CodeUnitsAndEscapesOnlyWhatJsonRequires()
    {
        var spec = Example with
        {
            Metadata = new SpecMetadata
            {
                Name = "hello",
                Annotations = new Dictionary<string, string>
                {
                    ["b"] = "tab\tquote\"backslash\\bell\u0007",
                    ["a"] = "é 日本 😀 </script> \u2028",
                    ["B"] = "upper sorts first",
                    ["\uFF21"] = "fullwidth A sorts after ASCII",
                },
            },
        };

        var json = Encoding.UTF8.GetString(SpecJson.Serialize(spec));

        Assert.Contains(
            "\"annotations\":{\"B\":\"upper sorts first\",\"a\":\"é 日本 😀 </script> \u2028\",\"b\":\"tab\\tquote\\\"backslash\\\\bell\\u0007\",\"\uFF21\":\"fullwidth A sorts after ASCII\"}",
            json,
            StringComparison.Ordinal);
        Assert.Equal(spec.Metadata.Annotations["b"], SpecJson.Deserialize(Encoding.UTF8.GetBytes(json)).Model.Metadata.Annotations["b"]);
    }

    [Fact]
    public void WritesEveryKindOfStep()
    {
        var spec = Example with
        {
            Options = new SpecOptions { AllowSetuid = true },
            Base = new BaseImageSpec { Image = "registry.example/base:1", Platform = "linux/amd64" },
            Mount = new MountSpec { Path = "/app" },
            Sources = new Dictionary<string, SourceSpec>
            {
                ["app"] = new()
                {
                    Ref = "registry.example/app:1",
                    Platform = "linux/arm64",
                    MediaTypes = ["text/plain"],
                    Annotations = new Dictionary<string, string> { ["k"] = "v" },
                },
            },
            Steps =
            [
                new CopyStep { From = "app", Path = "d", Include = ["*.a"], Exclude = ["x.a"], To = "/d/", Mode = "755", Overwrite = true },
                new RenameStep { Path = "/d", To = "/e", Overwrite = true },
                new RemoveStep { Include = ["**/*.tmp"], Exclude = ["keep.tmp"] },
                new RemoveStep { Path = "/e/old" },
                new LinkStep { Path = "/l", Target = "e", Overwrite = true },
                new ModeStep { Path = "/e", Mode = "4755" },
                new ModeStep { Include = ["e/**"], Exclude = ["e/x"], Mode = "644" },
            ],
        };

        var json = Encoding.UTF8.GetString(SpecJson.Serialize(spec));

        Assert.Equal(
            """{"apiVersion":"assemble.oras.land/v1","base":{"image":"registry.example/base:1","platform":"linux/amd64"},"kind":"Assembly","metadata":{"name":"hello"},"mount":{"path":"/app"},"options":{"allowSetuid":true},"sources":{"app":{"annotations":{"k":"v"},"mediaTypes":["text/plain"],"platform":"linux/arm64","ref":"registry.example/app:1"}},"steps":[{"copy":{"exclude":["x.a"],"from":"app","include":["*.a"],"mode":"0755","overwrite":true,"path":"d","to":"/d/"}},{"rename":{"overwrite":true,"path":"/d","to":"/e"}},{"remove":{"exclude":["keep.tmp"],"include":["**/*.tmp"]}},{"remove":{"path":"/e/old"}},{"link":{"overwrite":true,"path":"/l","target":"e"}},{"mode":{"mode":"4755","path":"/e"}},{"mode":{"exclude":["e/x"],"include":["e/**"],"mode":"0644"}}]}""",
            json);
        Assert.Equal(json, Encoding.UTF8.GetString(SpecJson.Serialize(SpecJson.Deserialize(Encoding.UTF8.GetBytes(json)).Model)));
    }

    [Fact]
    public void DeserializeRefusesAnInvalidLayerWithAllItsErrors()
    {
        var json = """{"apiVersion":"assemble.oras.land/v1","kind":"Assembly","metadata":{"name":"x"},"sources":{},"steps":[{"link":{"path":"a","target":"/b"}}]}"""u8.ToArray();

        var invalid = Assert.Throws<InvalidSpecException>(() => SpecJson.Deserialize(json, "registry.example/spec:1"));

        Assert.Equal(
            ["1:81: sources: must not be empty", "1:112: steps[0].link.path: \"a\" must be an absolute path in the tree, starting with '/'"],
            invalid.Errors.Select(e => e.ToString()));
        Assert.Contains("registry.example/spec:1:1:81: sources: must not be empty", invalid.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RefusesStringsThatAreNotUnicode()
    {
        var spec = Example with { Metadata = new SpecMetadata { Name = "bad\uD800" } };

        Assert.Throws<ArgumentException>(() => SpecJson.Serialize(spec));
    }
}

using System.Text;
using OrasAssemble.Spec.Model;
using OrasAssemble.Spec.Parsing;

namespace OrasAssemble.Tests.Spec.Parsing;

public sealed class SpecParserTests
{
    private const string Valid = """
        apiVersion: assemble.oras.land/v1
        kind: Assembly
        metadata: { name: parser }
        sources:
          app: { ref: registry.example/app:1 }
        steps:
          - copy:
              from: app
              path: a.txt
              to: /a.txt
        """;

    [Fact]
    public void ReadsJsonAsWellAsYaml()
    {
        const string json = """
            {"apiVersion": "assemble.oras.land/v1", "kind": "Assembly", "metadata": {"name": "parser"},
             "sources": {"app": {"ref": "registry.example/app:1"}},
             "steps": [{"copy": {"from": "app", "path": "a.txt", "to": "/a.txt"}}]}
            """;

        var fromJson = SpecDocument.Load(json).GetValidSpec().Model;
        var fromYaml = SpecDocument.Load(Valid).GetValidSpec().Model;

        Assert.Equal(SpecJson.Serialize(fromYaml), SpecJson.Serialize(fromJson));
    }

    [Fact]
    public void JsonErrorsCarryLineAndColumnToo()
    {
        const string json = "{\n  \"apiVersion\": \"assemble.oras.land/v1\",\n  \"kind\": \"Assembly\",\n  \"metadata\": {\"name\": \"j\"},\n"
            + "  \"sources\": {\"app\": {\"ref\": \"registry.example/app:1\"}},\n"
            + "  \"steps\": [{\"copy\": {\"from\": \"app\", \"path\": \"a\", \"to\": \"a\"}}]\n}\n";

        var error = Assert.Single(SpecDocument.Load(json).Errors);

        Assert.Equal("spec.json:6:51: steps[0].copy.to: \"a\" must be an absolute path in the tree, starting with '/'", error.Format("spec.json"));
    }

    [Fact]
    public void RecordsWhereEveryFieldIsWritten()
    {
        var parsed = SpecParser.Parse(Valid);

        Assert.Empty(parsed.Errors);
        Assert.Equal(new SpecPosition(1, 1), parsed.Positions.Find("apiVersion"));
        Assert.Equal(new SpecPosition(3, 13), parsed.Positions.Find("metadata.name"));
        Assert.Equal(new SpecPosition(5, 3), parsed.Positions.Find("sources.app"));
        Assert.Equal(new SpecPosition(5, 10), parsed.Positions.Find("sources.app.ref"));
        Assert.Equal(new SpecPosition(7, 5), parsed.Positions.Find("steps[0]"));
        Assert.Equal(new SpecPosition(10, 7), parsed.Positions.Find("steps[0].copy.to"));

        // A field that is not written is placed where its nearest written parent is.
        Assert.Equal(new SpecPosition(7, 5), parsed.Positions.Find("steps[0].copy.mode"));
        Assert.False(parsed.Positions.TryGetPosition("steps[0].copy.mode", out _));
    }

    [Fact]
    public void WindowsLineEndingsGiveTheSamePositions()
    {
        var text = Valid.Replace("to: /a.txt", "to: a.txt", StringComparison.Ordinal);

        var unix = Assert.Single(SpecDocument.Load(text.ReplaceLineEndings("\n")).Errors);
        var windows = Assert.Single(SpecDocument.Load(text.ReplaceLineEndings("\r\n")).Errors);

        Assert.Equal(new SpecPosition(10, 7), unix.Position);
        Assert.Equal(unix, windows);
    }

    [Fact]
    public void ErrorsInsideAnAliasPointAtTheAnchoredText()
    {
        const string text = """
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: alias }
            sources:
              app: { ref: registry.example/app:1 }
            steps:
              - &step
                copy: { from: app, path: a, to: relative }
              - *step
            """;

        var errors = SpecDocument.Load(text).Errors.Select(e => e.ToString()).ToList();

        // The text to fix is in the anchored step, so both steps' errors point there.
        Assert.Equal(
            [
                "8:33: steps[0].copy.to: \"relative\" must be an absolute path in the tree, starting with '/'",
                "8:33: steps[1].copy.to: \"relative\" must be an absolute path in the tree, starting with '/'",
            ],
            errors);
        Assert.Equal(new SpecPosition(9, 5), SpecParser.Parse(text).Positions.Find("steps[1]"));
    }

    [Fact]
    public void ReadsYamlCoreSchemaScalars()
    {
        var text = Valid.Replace("to: /a.txt", "to: /a.txt\n      overwrite: True\n      mode: !!str 0755", StringComparison.Ordinal);

        var copy = Assert.IsType<CopyStep>(SpecDocument.Load(text).GetValidSpec().Model.Steps[0]);

        Assert.True(copy.Overwrite);
        Assert.Equal("0755", copy.Mode);
    }

    [Fact]
    public void AcceptsAByteOrderMark()
    {
        Assert.True(SpecDocument.Load("\uFEFF" + Valid).IsValid);
        Assert.True(SpecDocument.Load(Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(Valid)).ToArray()).IsValid);
    }

    [Fact]
    public void RefusesUtf16()
    {
        var error = Assert.Single(SpecDocument.Load(Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes(Valid)).ToArray()).Errors);

        Assert.Equal("1:1: the spec is UTF-16; write it as UTF-8", error.ToString());
    }

    [Fact]
    public void RefusesInvalidUtf8WithItsPosition()
    {
        var bytes = Encoding.UTF8.GetBytes("apiVersion: assemble.oras.land/v1\nkind: Ass").Concat(new byte[] { 0xC3, 0x28 }).ToArray();

        var error = Assert.Single(SpecDocument.Load(bytes).Errors);

        Assert.StartsWith("2:10: the spec is not valid UTF-8", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void RefusesUnpairedSurrogatesInText()
    {
        var error = Assert.Single(SpecDocument.Load("a: b\nc: \uD800").Errors);

        Assert.Equal("2:4: the text contains an unpaired UTF-16 surrogate", error.ToString());
    }

    [Theory]
    [InlineData("\u0000", "U+0000")]
    [InlineData("\u0007", "U+0007")]
    [InlineData("\u007F", "U+007F")]
    [InlineData("\u009B", "U+009B")]
    public void RefusesRawControlCharacters(string character, string name)
    {
        var error = Assert.Single(SpecDocument.Load("apiVersion: x\nkind: A" + character + "ssembly\n").Errors);

        Assert.Equal($"2:8: the text contains the character {name}, which YAML does not allow; write it as an escape in a double-quoted string", error.ToString());
    }

    [Fact]
    public void ReportsSeveralReadingProblemsAtOnce()
    {
        const string text = "a: 1\na: 2\nb: !thing x\nc: *nowhere\n";

        var errors = SpecDocument.Load(text).Errors.Select(e => e.ToString()).ToList();

        Assert.Equal(
            [
                "2:1: a: duplicate key \"a\" (first at line 1)",
                "3:4: b: YAML tag !thing is not supported; only the core tags !!str, !!int, !!float, !!bool and !!null are",
                "4:4: c: alias *nowhere refers to no anchor &nowhere defined before it",
            ],
            errors);
    }

    [Fact]
    public void RefusesComplexKeys()
    {
        var errors = SpecDocument.Load("? [a, b]\n: 1\n&k x: 2\n*k : 3\n").Errors.Select(e => e.ToString()).ToList();

        Assert.Equal(["1:3: a key must be text, not a mapping or list", "4:1: an alias cannot be used as a key"], errors);
    }

    [Fact]
    public void AcceptsCoreCollectionTagsOnly()
    {
        Assert.True(SpecDocument.Load(Valid.Replace("metadata: {", "metadata: !!map {", StringComparison.Ordinal)).IsValid);

        var error = Assert.Single(SpecDocument.Load(Valid.Replace("metadata: {", "metadata: !!seq {", StringComparison.Ordinal)).Errors);
        Assert.Equal("3:11: metadata: YAML tag !!seq is not supported here", error.ToString());
    }

    [Fact]
    public void ParserNeverThrowsAndSpecIsNullOnReadingErrors()
    {
        var parsed = SpecParser.Parse("a: [x\nx\n]");

        Assert.Null(parsed.Spec);
        Assert.Equal("1:4: the YAML is malformed near here (check the indentation and the brackets of flow collections)", Assert.Single(parsed.Errors).ToString());
    }

    [Fact]
    public void KeepsAPartialModelForTheRulePass()
    {
        var parsed = SpecParser.Parse(Valid.Replace("path: a.txt", "path: [a.txt]", StringComparison.Ordinal));

        Assert.Empty(parsed.Errors);
        var copy = Assert.IsType<CopyStep>(Assert.Single(parsed.Spec!.Steps));
        Assert.Equal("", copy.Path);
    }
}

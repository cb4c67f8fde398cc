using System.Text;
using OrasAssemble.Spec.Parsing;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Spec.Validation;

/// <summary>
/// The table of specs under cases/: every file in valid/ must load without errors; every file in invalid/
/// lists, in "# expect:" comments at its end, exactly the errors it must produce, each as
/// <c>line:column: field path: message</c>, in order.
/// </summary>
public sealed class SpecCaseTests
{
    private const string Expect = "# expect: ";
    private static readonly string CasesDirectory = RepositoryFiles.PathOf("tests/Assembler.Tests/Spec/cases");

    public static TheoryData<string> ValidCases() => Cases("valid");

    public static TheoryData<string> InvalidCases() => Cases("invalid");

    [Theory]
    [MemberData(nameof(ValidCases))]
    public void ValidSpecHasNoErrors(string name)
    {
        var document = SpecDocument.Load(File.ReadAllBytes(Path.Combine(CasesDirectory, "valid", name)));

        Assert.Empty(document.Errors.Select(error => error.Format(name)));
        Assert.NotNull(document.Spec);
    }

    [Theory]
    [MemberData(nameof(ValidCases))]
    public void ValidSpecSurvivesItsCanonicalJson(string name)
    {
        var spec = SpecDocument.Load(File.ReadAllBytes(Path.Combine(CasesDirectory, "valid", name))).GetValidSpec(name).Model;

        var json = SpecJson.Serialize(spec);
        var again = SpecJson.Serialize(SpecJson.Deserialize(json).Model);

        Assert.Equal(Encoding.UTF8.GetString(json), Encoding.UTF8.GetString(again));
    }

    [Theory]
    [MemberData(nameof(InvalidCases))]
    public void InvalidSpecReportsExactlyTheExpectedErrors(string name)
    {
        var path = Path.Combine(CasesDirectory, "invalid", name);
        var expected = File.ReadLines(path)
            .Where(line => line.StartsWith(Expect, StringComparison.Ordinal))
            .Select(line => name + ":" + line[Expect.Length..])
            .ToList();
        Assert.NotEmpty(expected);

        var document = SpecDocument.Load(File.ReadAllBytes(path));

        Assert.Null(document.Spec);
        Assert.Equal(expected, document.Errors.Select(error => error.Format(name)));
    }

    [Theory]
    [MemberData(nameof(InvalidCases))]
    public void InvalidSpecErrorsNameAWrittenPlace(string name)
    {
        var text = File.ReadAllText(Path.Combine(CasesDirectory, "invalid", name));
        var lines = text.Split('\n');

        var document = SpecDocument.Load(text);

        // Every error points into the text: a line that exists, and a column on it.
        Assert.All(document.Errors, error =>
        {
            Assert.InRange(error.Line, 1, lines.Length);
            Assert.InRange(error.Column, 1, lines[error.Line - 1].Length + 1);
        });
    }

    [Fact]
    public void TheInvalidCasesCoverEveryKindOfRule()
    {
        // A guard against the table shrinking unnoticed.
        Assert.True(InvalidCases().Count >= 25, $"only {InvalidCases().Count} invalid cases");
        Assert.True(ValidCases().Count >= 6, $"only {ValidCases().Count} valid cases");
    }

    private static TheoryData<string> Cases(string kind)
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(CasesDirectory, kind)).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }
}

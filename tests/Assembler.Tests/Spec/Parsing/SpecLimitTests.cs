using System.Text;
using OrasAssemble.Spec.Parsing;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Spec.Parsing;

/// <summary>
/// Hostile and broken input: each case must end in a clear error, never an exception or a hang. The time
/// bound is a hang guard, far above what the cases take; speed itself is measured in bench/.
/// </summary>
public sealed class SpecLimitTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(20);

    private const string Head = """
        apiVersion: assemble.oras.land/v1
        kind: Assembly
        metadata: { name: limits }
        sources:
          app: { ref: registry.example/app:1 }

        """;

    [Fact]
    public void RefusesTextOverTheSizeLimitBeforeReadingIt()
    {
        var text = Head + "steps: []\n" + "#" + new string('x', SpecLimits.MaxBytes);

        var error = Assert.Single(Load(text).Errors);

        Assert.Equal($"1:1: the spec is {Encoding.UTF8.GetByteCount(text)} bytes; the limit is 1048576", error.ToString());
        Assert.Single(Load(Encoding.UTF8.GetBytes(text)).Errors);
    }

    [Fact]
    public void AcceptsASpecJustUnderTheSizeLimit()
    {
        var spec = Head + "steps:\n  - copy: { from: app, path: a, to: /a }\n";
        var padding = SpecLimits.MaxBytes - Encoding.UTF8.GetByteCount(spec) - 2;
        var text = spec + "#" + new string('x', padding) + "\n";

        Assert.Equal(SpecLimits.MaxBytes, Encoding.UTF8.GetByteCount(text));
        Assert.True(Load(text).IsValid);
    }

    [Theory]
    [InlineData("steps: ", "[")]
    [InlineData("steps: ", "{a: ")]
    [InlineData("", "- ")]
    [InlineData("", "? ")]
    public void RefusesDeepNesting(string prefix, string open)
    {
        var text = prefix + string.Concat(Enumerable.Repeat(open, 200_000));

        var error = Assert.Single(Load(text).Errors);

        Assert.Equal("nesting is deeper than 32 levels", error.Message);
        Assert.Equal(1, error.Line);
    }

    [Fact]
    public void RefusesDeepBlockMappings()
    {
        var text = string.Concat(Enumerable.Range(0, 1000).Select(i => new string(' ', i) + "k:\n"));

        var error = Assert.Single(Load(text).Errors);

        Assert.Equal(33, error.Line);
        Assert.Equal("nesting is deeper than 32 levels", error.Message);
    }

    [Fact]
    public void RefusesTooManyValues()
    {
        var text = Head + "steps:\n" + string.Concat(Enumerable.Repeat("  - x\n", 150_000));

        var error = Assert.Single(Load(text).Errors);

        Assert.Equal("the spec has more than 100000 values", error.Message);
        Assert.StartsWith("steps[", error.Path, StringComparison.Ordinal);
    }

    [Fact]
    public void RefusesABillionLaughs()
    {
        var text = new StringBuilder("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (var i = 1; i < 10; i++)
        {
            text.Append($"a{i}: &a{i} [{string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 10))}]\n");
        }

        var error = Assert.Single(Load(text.ToString()).Errors);

        Assert.Equal("aliases expand the spec to more than 100000 values", error.Message);
        Assert.StartsWith("a4[", error.Path, StringComparison.Ordinal);
    }

    [Fact]
    public void RefusesAliasesThatMultiplyLongStrings()
    {
        var text = new StringBuilder($"s: &s \"{new string('x', 200_000)}\"\n");
        text.Append($"l: [{string.Join(", ", Enumerable.Repeat("*s", 10))}]\n");

        var error = Assert.Single(Load(text.ToString()).Errors);

        Assert.Equal("aliases expand the spec to more than 1048576 characters", error.Message);
        Assert.Equal("l[4]", error.Path);
        Assert.Equal(new SpecPosition(2, 21), error.Position);
    }

    [Fact]
    public void RefusesAliasesThatNestTooDeep()
    {
        var text = new StringBuilder("a0: &a0 [x]\n");
        for (var i = 1; i < 40; i++)
        {
            text.Append($"a{i}: &a{i} [*a{i - 1}]\n");
        }

        var error = Assert.Single(Load(text.ToString()).Errors);

        Assert.Equal("aliases expand the spec deeper than 32 levels", error.Message);
    }

    [Fact]
    public void RefusesHugeStringsInFields()
    {
        var text = Head + $"steps:\n  - copy: {{ from: app, path: a, to: \"/{new string('a', 900_000)}\" }}\n";

        var error = Assert.Single(Load(text).Errors);

        Assert.Equal("7:33: steps[0].copy.to: is longer than 4096 characters", error.ToString());
    }

    [Fact]
    public void RefusesTooManySteps()
    {
        var steps = string.Concat(Enumerable.Range(0, 5000).Select(i => $"  - link: {{ path: /l{i}, target: x }}\n"));

        var errors = Load(Head + "steps:\n" + steps).Errors;

        Assert.Contains(errors, error => error.ToString() == "6:1: steps: has more than 4096 entries");
    }

    [Fact]
    public void CapsTheNumberOfErrorsReported()
    {
        var steps = string.Concat(Enumerable.Range(0, 300).Select(i => $"  - link: {{ path: l{i}, target: x }}\n"));

        var errors = Load(Head + "steps:\n" + steps).Errors;

        // 300 bad link paths, and the source no copy step uses.
        Assert.Equal(SpecLimits.MaxErrors + 1, errors.Count);
        Assert.Equal("201 more errors not shown", errors[^1].ToString());
        Assert.Equal("5:3: sources.app: source \"app\" is not used by any copy step; remove it, so it is not fetched for nothing", errors[0].ToString());
    }

    [Fact]
    public void SurvivesRandomMutationsOfAValidSpec()
    {
        var original = File.ReadAllBytes(RepositoryFiles.PathOf("tests/Assembler.Tests/Spec/cases/valid/every-field.yaml"));
        var random = new Random(20261122);
        byte[] interesting = "[]{}:,-&*!|>'\"#%@`?\t\n \\"u8.ToArray();
        var outcomes = new HashSet<bool>();
        for (var round = 0; round < 1500; round++)
        {
            var bytes = original.ToList();
            for (var edits = random.Next(1, 6); edits > 0; edits--)
            {
                var at = random.Next(bytes.Count);
                switch (random.Next(4))
                {
                    case 0:
                        bytes[at] = interesting[random.Next(interesting.Length)];
                        break;
                    case 1:
                        bytes.Insert(at, interesting[random.Next(interesting.Length)]);
                        break;
                    case 2:
                        bytes.RemoveAt(at);
                        break;
                    default:
                        bytes[at] = (byte)random.Next(256);
                        break;
                }
            }

            var document = Load(bytes.ToArray());
            outcomes.Add(document.IsValid);
            Assert.All(document.Errors, error => Assert.False(string.IsNullOrWhiteSpace(error.Message)));
        }

        // Mutations both break the spec and (e.g. in comments) leave it valid.
        Assert.Contains(false, outcomes);
    }

    [Fact]
    public void SurvivesRandomBytes()
    {
        var random = new Random(7);
        for (var round = 0; round < 300; round++)
        {
            var bytes = new byte[random.Next(1, 2000)];
            random.NextBytes(bytes);

            Assert.False(Load(bytes).IsValid);
        }
    }

    [Fact]
    public void SurvivesTruncationAtEveryPoint()
    {
        var text = File.ReadAllText(RepositoryFiles.PathOf("tests/Assembler.Tests/Spec/cases/valid/hello-java.yaml"));
        for (var length = 0; length < text.Length; length++)
        {
            var document = Load(text[..length]);
            Assert.All(document.Errors, error => Assert.True(error.Line >= 1, error.ToString()));
        }
    }

    private static SpecDocument Load(string text) => Guard(() => SpecDocument.Load(text));

    private static SpecDocument Load(byte[] bytes) => Guard(() => SpecDocument.Load(bytes));

    private static SpecDocument Guard(Func<SpecDocument> load)
    {
        var task = Task.Run(load);
        Assert.True(task.Wait(HangGuard), $"loading did not finish within {HangGuard}");
        return task.Result;
    }
}

using System.Diagnostics;
using OrasAssemble.Spec;

namespace OrasAssemble.Tests.Spec;

public sealed class GlobTests
{
    [Theory]
    [InlineData("*.txt", "a.txt", true)]
    [InlineData("*.txt", ".hidden.txt", true)]
    [InlineData("*.txt", "dir/a.txt", false)]
    [InlineData("*.txt", "a.txt.bak", false)]
    [InlineData("**/*.txt", "a.txt", true)]
    [InlineData("**/*.txt", "x/y/z/a.txt", true)]
    [InlineData("**/*.properties", "conf/prod.properties", true)]
    [InlineData("conf/*", "conf/a", true)]
    [InlineData("conf/*", "conf/a/b", false)]
    [InlineData("conf/**", "conf/a/b", true)]
    [InlineData("conf/**", "conf/a", true)]
    [InlineData("conf/**", "conf", false)]
    [InlineData("**", "a", true)]
    [InlineData("**", "a/b/c", true)]
    [InlineData("**", "", false)]
    [InlineData("a/**/b", "a/b", true)]
    [InlineData("a/**/b", "a/x/y/b", true)]
    [InlineData("a/**/b", "a/x/y/c", false)]
    [InlineData("**/test/**", "conf/test/a.properties", true)]
    [InlineData("**/test/**", "test/a", true)]
    [InlineData("**/test/**", "conf/testing/a", false)]
    [InlineData("**/**/x", "x", true)]
    [InlineData("/bin/*", "bin/sh", true)]
    [InlineData("bin/*", "/bin/sh", true)]
    [InlineData("a?c", "abc", true)]
    [InlineData("a?c", "ac", false)]
    [InlineData("a?c", "a/c", false)]
    [InlineData("[abc].txt", "b.txt", true)]
    [InlineData("[abc].txt", "d.txt", false)]
    [InlineData("[!abc].txt", "d.txt", true)]
    [InlineData("[^abc].txt", "a.txt", false)]
    [InlineData("[a-c][0-9]", "b7", true)]
    [InlineData("[]a]", "]", true)]
    [InlineData("[a-]", "-", true)]
    [InlineData("\\*.txt", "*.txt", true)]
    [InlineData("\\*.txt", "a.txt", false)]
    [InlineData("\\[x\\]", "[x]", true)]
    [InlineData("\\{a,b\\}", "{a,b}", true)]
    [InlineData("?.png", "😀.png", true)]
    [InlineData("[α-ω]", "λ", true)]
    [InlineData("[😀-😂]", "😁", true)]
    [InlineData("données/*", "données/résumé.txt", true)]
    [InlineData("Résumé", "résumé", false)]
    [InlineData("*a*b*c*", "xaybzc", true)]
    [InlineData("*a*b*c*", "xaybz", false)]
    public void Matches(string pattern, string path, bool expected)
    {
        Assert.Equal(expected, Glob.Parse(pattern).IsMatch(path));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("/", "matches nothing")]
    [InlineData("a**", "'**' must be a whole path segment")]
    [InlineData("**a/b", "'**' must be a whole path segment")]
    [InlineData("a/***/b", "'**' must be a whole path segment")]
    [InlineData("a//b", "empty segment")]
    [InlineData("a/./b", "'.' or '..'")]
    [InlineData("../a", "'.' or '..'")]
    [InlineData("dir/", "must not end with '/'")]
    [InlineData("[abc", "not closed")]
    [InlineData("[!]", "not closed")]
    [InlineData("[z-a]", "reversed")]
    [InlineData("[a/b]", "not closed")]
    [InlineData("[[:alpha:]]", "named classes")]
    [InlineData("{a,b}", "braces")]
    [InlineData("a]", "no matching '['")]
    [InlineData("a\\", "unfinished escape")]
    [InlineData("a\\/b", "cannot contain '/'")]
    [InlineData("[\\/]", "cannot contain '/'")]
    [InlineData("a\tb", "control character U+0009")]
    public void RejectsMalformedPatterns(string pattern, string problem)
    {
        Assert.False(Glob.TryParse(pattern, out var glob, out var message));
        Assert.Null(glob);
        Assert.Contains(problem, message, StringComparison.Ordinal);
        var thrown = Assert.Throws<FormatException>(() => Glob.Parse(pattern));
        Assert.Contains(problem, thrown.Message, StringComparison.Ordinal);
        Assert.Equal(message, Glob.Problem(pattern));
    }

    [Fact]
    public void RejectsUnpairedSurrogates()
    {
        Assert.Contains("UTF-16", Glob.Problem("a\uD800b"), StringComparison.Ordinal);
    }

    [Fact]
    public void WellFormedPatternHasNoProblem()
    {
        Assert.Null(Glob.Problem("**/*.{txt}".Replace("{txt}", "txt", StringComparison.Ordinal)));
        Assert.Equal("a/*.txt", Glob.Parse("a/*.txt").ToString());
    }

    [Fact]
    public void PathologicalPatternsMatchInBoundedTime()
    {
        // Patterns that make naive backtracking exponential.
        var stars = Glob.Parse(string.Concat(Enumerable.Repeat("*a", 200)) + "*b");
        var deep = Glob.Parse(string.Join('/', Enumerable.Repeat("**/a", 100)) + "/b");
        var name = new string('a', 4000);
        var path = string.Join('/', Enumerable.Repeat("a", 2000));

        var watch = Stopwatch.StartNew();
        Assert.False(stars.IsMatch(name));
        Assert.False(deep.IsMatch(path));

        // Generous: these take milliseconds; exponential behaviour would take longer than the universe.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
    }
}

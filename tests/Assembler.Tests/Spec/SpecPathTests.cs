using OrasAssemble.Spec;

namespace OrasAssemble.Tests.Spec;

public sealed class SpecPathTests
{
    [Theory]
    [InlineData("/a")]
    [InlineData("/a/b/c.txt")]
    [InlineData("/données/日本語 with spaces")]
    [InlineData("/.hidden/..dots../x")]
    public void AcceptsTreePaths(string path)
    {
        Assert.Null(SpecPath.TreePathProblem(path));
    }

    [Theory]
    [InlineData("", false, false, "path is empty")]
    [InlineData("a", false, false, "must be an absolute path in the tree")]
    [InlineData("/", false, false, "must not be the root")]
    [InlineData("/a/", false, false, "must not end with '/'")]
    [InlineData("/a//b", true, false, "empty segment")]
    [InlineData("/a/./b", true, false, "'.' segments")]
    [InlineData("/a/../b", true, false, "must not contain '..'")]
    [InlineData("/..", true, false, "must not contain '..'")]
    [InlineData("/a\u0000b", false, false, "control character U+0000")]
    [InlineData("/a\nb", false, false, "control character U+000A")]
    public void RejectsBadTreePaths(string path, bool directoryForm, bool root, string problem)
    {
        Assert.Contains(problem, SpecPath.TreePathProblem(path, directoryForm, root), StringComparison.Ordinal);
    }

    [Fact]
    public void DirectoryFormAndRootAreOptIn()
    {
        Assert.Null(SpecPath.TreePathProblem("/conf/", allowDirectoryForm: true));
        Assert.Null(SpecPath.TreePathProblem("/", allowDirectoryForm: true));
        Assert.Null(SpecPath.TreePathProblem("/", allowRoot: true));
        Assert.True(SpecPath.IsDirectoryForm("/conf/"));
        Assert.False(SpecPath.IsDirectoryForm("/conf"));
    }

    [Fact]
    public void BoundsLengthsInBytes()
    {
        var longSegment = "/" + new string('é', 128);
        var longPath = string.Concat(Enumerable.Repeat("/" + new string('a', 200), 21));

        Assert.Contains("longer than 255 bytes", SpecPath.TreePathProblem(longSegment), StringComparison.Ordinal);
        Assert.Null(SpecPath.TreePathProblem("/" + new string('é', 127)));
        Assert.Contains("longer than 4096 bytes", SpecPath.TreePathProblem(longPath), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a.jar", null)]
    [InlineData("/bin/busybox", null)]
    [InlineData("/", null)]
    [InlineData("dir/", "must not end with '/'")]
    [InlineData("../x", "must not contain '..'")]
    [InlineData("", "path is empty")]
    public void SourcePathsMayOmitTheLeadingSlash(string path, string? problem)
    {
        var actual = SpecPath.SourcePathProblem(path);
        if (problem is null)
        {
            Assert.Null(actual);
        }
        else
        {
            Assert.Contains(problem, actual, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("/bin/sh", "busybox", "/bin/busybox")]
    [InlineData("/bin/sh", "../usr/bin/busybox", "/usr/bin/busybox")]
    [InlineData("/a/b/c", "../../x", "/x")]
    [InlineData("/bin/sh", "/sbin/busybox", "/sbin/busybox")]
    [InlineData("/current", "/", "/")]
    [InlineData("/a", "..", null)]
    [InlineData("/bin/sh", "../../etc/passwd", null)]
    public void ResolvesLinkTargetsInsideTheTree(string link, string target, string? resolved)
    {
        Assert.Equal(resolved, SpecPath.ResolveLinkTarget(link, target));
    }

    [Theory]
    [InlineData("/bin/sh", "busybox", null)]
    [InlineData("/a/b", "../c", null)]
    [InlineData("/bin/sh", "../../etc/passwd", "leads out of the tree")]
    [InlineData("/bin/sh", "sh", "point to itself")]
    [InlineData("/bin/sh", "/bin/sh", "point to itself")]
    [InlineData("/bin/sh", "/etc/../x", "must not contain '..'")]
    [InlineData("/bin/sh", "a//b", "empty segment")]
    [InlineData("/bin/sh", "./busybox", "'.' segments")]
    [InlineData("/bin/sh", "busybox/", "must not end with '/'")]
    [InlineData("/bin/sh", "", "target is empty")]
    public void ChecksLinkTargets(string link, string target, string? problem)
    {
        var actual = SpecPath.LinkTargetProblem(link, target);
        if (problem is null)
        {
            Assert.Null(actual);
        }
        else
        {
            Assert.Contains(problem, actual, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void TakesPathsApart()
    {
        Assert.Equal("/a/b", SpecPath.Normalize("a/b/"));
        Assert.Equal("/", SpecPath.Normalize("/"));
        Assert.Equal(["a", "b"], SpecPath.Segments("/a/b"));
        Assert.Empty(SpecPath.Segments("/"));
        Assert.Equal("b.txt", SpecPath.Name("/a/b.txt"));
        Assert.Equal("a", SpecPath.Name("/a/"));
        Assert.Equal("", SpecPath.Name("/"));
        Assert.Equal("/conf/app.properties", SpecPath.Combine("/conf/", "app.properties"));
        Assert.Equal("/x", SpecPath.Combine("/", "x"));
        Assert.True(SpecPath.IsWithin("/a/b", "/a"));
        Assert.True(SpecPath.IsWithin("/a", "/a"));
        Assert.True(SpecPath.IsWithin("/a", "/"));
        Assert.False(SpecPath.IsWithin("/ab", "/a"));
    }
}

namespace OrasAssemble.Tests.TestSupport;

/// <summary>One way a tree differs from the reference extraction: at which path (relative, '/'-separated) and what.</summary>
internal sealed record TreeDifference(string Path, string What)
{
    public override string ToString() => $"{Path}: {What}";
}

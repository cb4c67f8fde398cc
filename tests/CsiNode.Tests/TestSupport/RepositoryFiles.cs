namespace OrasAssemble.CsiNode.Tests.TestSupport;

/// <summary>Files of the repository the tests were built from (docs, schemas, deploy manifests).</summary>
internal static class RepositoryFiles
{
    public static string Root { get; } = FindRoot();

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "OrasAssemble.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("the repository root (with OrasAssemble.sln) is not above the test binaries");
    }
}

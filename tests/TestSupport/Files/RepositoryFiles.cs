namespace OrasAssemble.Tests.TestSupport;

/// <summary>Files of this repository that tests read in place (spec cases, schemas, docs, examples, deploy manifests).</summary>
internal static class RepositoryFiles
{
    private static readonly Lazy<string> LazyRoot = new(FindRoot);

    public static string Root => LazyRoot.Value;

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "OrasAssemble.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("the repository root (with OrasAssemble.sln) is not above the test binaries");
    }
}

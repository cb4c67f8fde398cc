namespace OrasAssemble.Webhook.Tests.TestSupport;

/// <summary>The checkout the tests were built from, found by walking up to OrasAssemble.sln.</summary>
internal static class RepositoryRoot
{
    public static string Path { get; } = Find();

    public static string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(directory.FullName, "OrasAssemble.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no OrasAssemble.sln above {AppContext.BaseDirectory}");
    }
}

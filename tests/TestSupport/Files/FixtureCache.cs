namespace OrasAssemble.Tests.TestSupport;

/// <summary>Where slow fixtures (the image corpus, the plugin and webhook images) are kept between runs of the tests.</summary>
internal static class FixtureCache
{
    /// <summary>
    /// <c>$<paramref name="variable"/></c> when set, else <c>${XDG_CACHE_HOME:-~/.cache}/oras-assemble/<paramref name="name"/></c>.
    /// </summary>
    public static string DirectoryFor(string variable, string name)
    {
        if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } configured)
        {
            return configured;
        }

        var cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(cache, "oras-assemble", name);
    }
}

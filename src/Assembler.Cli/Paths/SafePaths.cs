namespace OrasAssemble.Cli.Paths;

/// <summary>
/// Path checks the CLI makes on the local disk: whether an output path passes through a symbolic link. Names from
/// content (titles, tar entries) are checked by the library's layer writer. Names use '/' as separator, as artifacts and tars do.
/// </summary>
internal static class SafePaths
{
    /// <summary>
    /// The first existing directory strictly between <paramref name="root"/> and <paramref name="relative"/> that is a
    /// symbolic link, or null. Writing through such a link could land anywhere.
    /// </summary>
    public static string? LinkOnPath(string root, string relative)
    {
        var components = Components(relative);
        var current = root;
        for (var i = 0; i < components.Count - 1; i++)
        {
            current = Path.Combine(current, components[i]);
            var info = new FileInfo(current);
            if (info.LinkTarget is not null)
            {
                return current;
            }

            if (!info.Exists && !Directory.Exists(current))
            {
                return null;
            }
        }

        return null;
    }

    /// <summary>The non-empty, non-'.' components of a '/'-separated name.</summary>
    private static List<string> Components(string name) =>
        [.. name.Split('/').Where(c => c.Length > 0 && c != ".")];
}

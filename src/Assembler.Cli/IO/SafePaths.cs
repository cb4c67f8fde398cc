namespace OrasAssemble.Cli.IO;

/// <summary>
/// Checks on names that come from content (layer titles, tar entries, link targets) before they touch the disk.
/// Names use '/' as separator, as artifacts and tars do.
/// </summary>
internal static class SafePaths
{
    /// <summary>What is wrong with <paramref name="name"/> as a relative path that must stay below its root, or null.</summary>
    public static string? RelativeNameProblem(string name)
    {
        if (name.Length == 0)
        {
            return "the name is empty";
        }

        if (name.Contains('\0', StringComparison.Ordinal))
        {
            return "the name contains a NUL character";
        }

        if (name.StartsWith('/') || Path.IsPathRooted(name))
        {
            return "the name is an absolute path";
        }

        foreach (var component in name.Split('/'))
        {
            if (component == "..")
            {
                return "the name contains a '..' component";
            }
        }

        return Components(name).Count == 0 ? "the name names no file" : null;
    }

    /// <summary>The non-empty, non-'.' components of a '/'-separated name.</summary>
    public static IReadOnlyList<string> Components(string name) =>
        [.. name.Split('/').Where(c => c.Length > 0 && c != ".")];

    /// <summary>
    /// Where a relative link target leads from <paramref name="directory"/> (both relative to the same root), by name
    /// alone: '/'-separated, "" for the root itself, or null when it climbs above the root.
    /// </summary>
    public static string? ResolveLexically(string directory, string target)
    {
        var stack = new List<string>(Components(directory.Replace(Path.DirectorySeparatorChar, '/')));
        foreach (var component in target.Split('/'))
        {
            if (component.Length == 0 || component == ".")
            {
                continue;
            }

            if (component == "..")
            {
                if (stack.Count == 0)
                {
                    return null;
                }

                stack.RemoveAt(stack.Count - 1);
            }
            else
            {
                stack.Add(component);
            }
        }

        return string.Join('/', stack);
    }

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
}

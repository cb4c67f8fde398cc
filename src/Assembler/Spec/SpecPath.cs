using System.Globalization;
using System.Text;

namespace OrasAssemble.Spec;

/// <summary>
/// The rules for paths in a spec and the few operations on them that the validator and the executor share.
/// Tree paths are absolute inside the composed tree (<c>/bin/sh</c>), never contain <c>.</c>, <c>..</c> or
/// empty segments, and are compared byte for byte (no Unicode normalisation, case-sensitive).
/// </summary>
public static class SpecPath
{
    /// <summary>Longest path, in UTF-8 bytes, as Linux's PATH_MAX.</summary>
    public const int MaxBytes = 4096;

    /// <summary>Longest segment, in UTF-8 bytes, as Linux's NAME_MAX.</summary>
    public const int MaxSegmentBytes = 255;

    public const string Root = "/";

    /// <summary>Whether a destination names a directory to put things into (it ends with '/').</summary>
    public static bool IsDirectoryForm(string path) => path.EndsWith('/');

    /// <summary>
    /// What is wrong with a path in the tree, or null. <paramref name="allowDirectoryForm"/> lets it end with '/'
    /// (a <c>to</c> meaning "into this directory"); <paramref name="allowRoot"/> lets it be '/' itself.
    /// </summary>
    public static string? TreePathProblem(string path, bool allowDirectoryForm = false, bool allowRoot = false)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0)
        {
            return "path is empty";
        }

        if (path[0] != '/')
        {
            return $"\"{Show(path)}\" must be an absolute path in the tree, starting with '/'";
        }

        if (path == Root)
        {
            return allowRoot || allowDirectoryForm ? null : "must not be the root '/'";
        }

        if (!allowDirectoryForm && path.EndsWith('/'))
        {
            return $"\"{Show(path)}\" must not end with '/'";
        }

        return CommonProblem(path) ?? SegmentsProblem(path.Trim('/'), path, allowDotDot: false);
    }

    /// <summary>What is wrong with a path inside a source (the leading '/' is optional there), or null.</summary>
    public static string? SourcePathProblem(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0)
        {
            return "path is empty";
        }

        if (path == Root)
        {
            return null;
        }

        if (path.EndsWith('/'))
        {
            return $"\"{Show(path)}\" must not end with '/'";
        }

        return CommonProblem(path) ?? SegmentsProblem(path.TrimStart('/'), path, allowDotDot: false);
    }

    /// <summary>What is wrong with an absolute path in the container (where the tree is mounted), or null.</summary>
    public static string? ContainerPathProblem(string path)
    {
        var problem = TreePathProblem(path);
        return problem?.Replace("in the tree", "in the container", StringComparison.Ordinal);
    }

    /// <summary>
    /// What is wrong with the target of a link at <paramref name="linkPath"/>, or null. Relative targets are
    /// resolved from the link's directory and may use '..' as long as they stay inside the tree.
    /// </summary>
    public static string? LinkTargetProblem(string linkPath, string target)
    {
        ArgumentNullException.ThrowIfNull(linkPath);
        ArgumentNullException.ThrowIfNull(target);
        if (target.Length == 0)
        {
            return "target is empty";
        }

        if (target.StartsWith('/'))
        {
            return TreePathProblem(target, allowRoot: true) is { } absoluteProblem
                ? absoluteProblem
                : Normalize(target) == Normalize(linkPath) ? "the link would point to itself" : null;
        }

        if (target.EndsWith('/'))
        {
            return $"\"{Show(target)}\" must not end with '/'";
        }

        if ((CommonProblem(target) ?? SegmentsProblem(target, target, allowDotDot: true)) is { } problem)
        {
            return problem;
        }

        // After a name, ".." goes wherever that name leads, and the name may be a link: only leading ".." are
        // resolved without looking at the tree, which is what keeps every link's destination plain from its text.
        if (target.Split('/').SkipWhile(segment => segment == "..").Contains(".."))
        {
            return $"\"{Show(target)}\" has '..' after a name; '..' may only come first";
        }

        var resolved = ResolveLinkTarget(linkPath, target);
        if (resolved is null)
        {
            return $"\"{Show(target)}\" leads out of the tree from {Show(linkPath)}";
        }

        return resolved == Normalize(linkPath) ? "the link would point to itself" : null;
    }

    /// <summary>
    /// Where a link's target leads, as a tree path, or null when it leaves the tree. Both arguments must
    /// already be valid.
    /// </summary>
    public static string? ResolveLinkTarget(string linkPath, string target)
    {
        var segments = target.StartsWith('/') ? [] : Segments(Normalize(linkPath)).SkipLast(1).ToList();
        foreach (var segment in target.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (segment == "..")
            {
                if (segments.Count == 0)
                {
                    return null;
                }

                segments.RemoveAt(segments.Count - 1);
            }
            else
            {
                segments.Add(segment);
            }
        }

        return Root + string.Join('/', segments);
    }

    /// <summary>The relative link from <paramref name="linkPath"/> to <paramref name="targetPath"/>, both tree paths.</summary>
    public static string RelativeLink(string linkPath, string targetPath)
    {
        var from = Segments(linkPath).SkipLast(1).ToList();
        var to = Segments(targetPath);
        var common = 0;
        while (common < from.Count && common < to.Count && from[common] == to[common])
        {
            common++;
        }

        var parts = Enumerable.Repeat("..", from.Count - common).Concat(to.Skip(common)).ToList();
        return parts.Count == 0 ? "." : string.Join('/', parts);
    }

    /// <summary>A valid tree or source path in its plain form: leading '/', no trailing '/'.</summary>
    public static string Normalize(string path)
    {
        var trimmed = path.Trim('/');
        return trimmed.Length == 0 ? Root : Root + trimmed;
    }

    /// <summary>The names along a valid path; none for the root.</summary>
    public static IReadOnlyList<string> Segments(string path) => path.Split('/', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The last name of a valid path; empty for the root.</summary>
    public static string Name(string path)
    {
        var trimmed = path.TrimEnd('/');
        return trimmed[(trimmed.LastIndexOf('/') + 1)..];
    }

    /// <summary>A child of a directory path.</summary>
    public static string Combine(string directory, string name) => Normalize(directory).TrimEnd('/') + "/" + name;

    /// <summary>Whether <paramref name="path"/> is <paramref name="ancestor"/> or lies under it; both normalised.</summary>
    public static bool IsWithin(string path, string ancestor) =>
        ancestor == Root
        || path == ancestor
        || (path.Length > ancestor.Length && path.StartsWith(ancestor, StringComparison.Ordinal) && path[ancestor.Length] == '/');

    private static string? CommonProblem(string path)
    {
        if (Encoding.UTF8.GetByteCount(path) > MaxBytes)
        {
            return $"path is longer than {MaxBytes} bytes";
        }

        foreach (var c in path)
        {
            if (char.IsControl(c))
            {
                return $"\"{Show(path)}\" contains the control character U+{((int)c).ToString("X4", CultureInfo.InvariantCulture)}";
            }
        }

        return null;
    }

    private static string? SegmentsProblem(string relative, string path, bool allowDotDot)
    {
        foreach (var segment in relative.Split('/'))
        {
            switch (segment)
            {
                case "":
                    return $"\"{Show(path)}\" has an empty segment ('//')";
                case ".":
                    return $"\"{Show(path)}\" must not contain '.' segments";
                case ".." when !allowDotDot:
                    return $"\"{Show(path)}\" must not contain '..'";
            }

            if (Encoding.UTF8.GetByteCount(segment) > MaxSegmentBytes)
            {
                return $"segment \"{Show(segment)}\" is longer than {MaxSegmentBytes} bytes";
            }
        }

        return null;
    }

    /// <summary>Text from the spec as an error message quotes it: shortened, control characters escaped.</summary>
    internal static string Show(string text)
    {
        var shown = text.Length <= 40 ? text : text[..37] + "...";
        if (!shown.Any(char.IsControl))
        {
            return shown;
        }

        var escaped = new StringBuilder(shown.Length + 8);
        foreach (var c in shown)
        {
            escaped.Append(char.IsControl(c) ? "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture) : c);
        }

        return escaped.ToString();
    }
}

using System.Text;

namespace OrasAssemble.Layers;

/// <summary>
/// The rules for names inside a layer. A name is taken relative to the target directory: a leading "/" or "./"
/// is dropped, as tar and container runtimes do, and empty and "." components are ignored; a ".." anywhere is
/// refused rather than resolved, so no name can climb out however it is spelled.
/// </summary>
internal static class EntryPath
{
    /// <summary>Linux's NAME_MAX: a longer component fails at the file system, so it is refused by name first.</summary>
    public const int MaxComponentBytes = 255;

    /// <summary>The components of <paramref name="name"/>, or null with the reason it is refused (about <paramref name="what"/>).</summary>
    public static string[]? Normalize(string name, string what, ExtractionLimits limits, out string reason)
    {
        if (name.Contains('\0', StringComparison.Ordinal))
        {
            reason = $"{what} contains a NUL character";
            return null;
        }

        var bytes = Encoding.UTF8.GetByteCount(name);
        if (bytes > limits.MaxPathLength)
        {
            reason = $"{what} is {bytes} bytes long, over the limit of {limits.MaxPathLength}";
            return null;
        }

        var components = Components(name);
        if (components.Contains(".."))
        {
            reason = $"{what} has a \"..\" component";
            return null;
        }

        if (components.Length > limits.MaxDepth)
        {
            reason = $"{what} is {components.Length} levels deep, over the limit of {limits.MaxDepth}";
            return null;
        }

        foreach (var component in components)
        {
            var length = Encoding.UTF8.GetByteCount(component);
            if (length > MaxComponentBytes)
            {
                reason = $"{what} has a component of {length} bytes, over the file system's limit of {MaxComponentBytes}";
                return null;
            }
        }

        reason = "";
        return components;
    }

    /// <summary>Splits on "/" and drops empty and "." components.</summary>
    public static string[] Components(string path) =>
        path.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(c => c != ".").ToArray();

    public static string Join(ReadOnlySpan<string> components) => string.Join('/', components);

    public static bool StartsWith(string[] components, string[] prefix) =>
        components.Length >= prefix.Length && components.AsSpan(0, prefix.Length).SequenceEqual(prefix);
}

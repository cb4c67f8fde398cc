using OrasAssemble.Text;

namespace OrasAssemble.Cli.Commands;

/// <summary>Parses repeated <c>--annotation key=value</c> flags.</summary>
internal static class AnnotationArguments
{
    /// <exception cref="UsageException">A value has no '=' or an empty key, or a key is given twice.</exception>
    public static IReadOnlyDictionary<string, string> Parse(IEnumerable<string> values)
    {
        var annotations = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            var equals = value.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new UsageException($"--annotation {QuotedValue.Of(value)} must be key=value with a non-empty key");
            }

            var key = value[..equals];
            if (!annotations.TryAdd(key, value[(equals + 1)..]))
            {
                throw new UsageException($"--annotation {QuotedValue.Of(key)} is given twice");
            }
        }

        return annotations;
    }
}

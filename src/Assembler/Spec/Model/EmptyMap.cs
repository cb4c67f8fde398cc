using System.Collections.ObjectModel;

namespace OrasAssemble.Spec.Model;

internal static class EmptyMap
{
    public static IReadOnlyDictionary<string, string> Strings { get; } = ReadOnlyDictionary<string, string>.Empty;
}

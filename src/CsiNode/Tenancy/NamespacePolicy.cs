using OrasAssemble.CsiNode.Configuration;
using OrasAssemble.Registry;

namespace OrasAssemble.CsiNode.Tenancy;

/// <summary>The node config's per-namespace allow-lists of registries and repositories.</summary>
internal sealed class NamespacePolicy(IReadOnlyDictionary<string, NamespaceRule> rules)
{
    public const string Others = "*";

    /// <summary>Why pods of <paramref name="podNamespace"/> may not read <paramref name="reference"/>, or null when they may.</summary>
    public string? Refusal(string? podNamespace, Reference reference)
    {
        if (rules.Count == 0)
        {
            return null;
        }

        if (podNamespace is null)
        {
            return "the node restricts registries by namespace, and the request names no pod namespace (is podInfoOnMount set on the CSIDriver?)";
        }

        var rule = rules.GetValueOrDefault(podNamespace) ?? rules.GetValueOrDefault(Others);
        if (rule is null)
        {
            return null;
        }

        var registry = reference.Registry.ToLowerInvariant();
        var repository = $"{registry}/{reference.Repository}";
        var allowed = rule.Registries.Contains(registry, StringComparer.Ordinal)
            || rule.Repositories.Any(pattern => pattern.EndsWith("/*", StringComparison.Ordinal)
                ? repository.StartsWith(pattern[..^1], StringComparison.Ordinal)
                : repository == pattern);
        return allowed ? null : $"namespace {podNamespace} may not read from {repository} (see namespaces in the node config)";
    }
}

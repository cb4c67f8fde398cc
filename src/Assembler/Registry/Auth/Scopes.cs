using OrasAssemble.Text;

namespace OrasAssemble.Registry.Auth;

/// <summary>
/// Token scopes as the distribution token protocol writes them: <c>type:name:action[,action...]</c>,
/// e.g. <c>repository:library/ubuntu:pull</c> or <c>registry:catalog:*</c>.
/// </summary>
internal static class Scopes
{
    public const string Wildcard = "*";

    /// <summary>The scope for <paramref name="actions"/> on one repository, e.g. <c>repository:apps/hello:pull,push</c>.</summary>
    public static string Repository(string repository, params string[] actions)
    {
        ArgumentException.ThrowIfNullOrEmpty(repository);
        ArgumentNullException.ThrowIfNull(actions);
        if (actions.Length == 0)
        {
            throw new ArgumentException("a scope needs at least one action, e.g. \"pull\"", nameof(actions));
        }

        foreach (var action in actions)
        {
            if (string.IsNullOrEmpty(action) || action.Contains(',', StringComparison.Ordinal)
                || action.Contains(':', StringComparison.Ordinal) || action.Contains(' ', StringComparison.Ordinal))
            {
                throw new ArgumentException($"{QuotedValue.Of(action)} is not a scope action; actions are single words such as \"pull\"", nameof(actions));
            }
        }

        return $"repository:{repository}:{JoinActions(actions)}";
    }

    /// <summary>
    /// One scope per resource with the union of its actions, so a token request asks once for everything it needs.
    /// Inputs may hold several space-separated scopes, as the <c>scope</c> parameter of a challenge can.
    /// Output is sorted (resources, then actions, ordinally) so equal needs give equal requests and cache keys;
    /// <c>*</c> stands for all actions and absorbs the rest. Scopes that do not parse are kept verbatim, after the others.
    /// </summary>
    public static IReadOnlyList<string> Merge(IEnumerable<string> scopes)
    {
        ArgumentNullException.ThrowIfNull(scopes);
        var actionsByResource = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        var verbatim = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var scope in scopes.Where(s => s is not null).SelectMany(s => s.Split(' ', StringSplitOptions.RemoveEmptyEntries)))
        {
            if (!TrySplit(scope, out var resource, out var actions))
            {
                verbatim.Add(scope);
                continue;
            }

            if (!actionsByResource.TryGetValue(resource, out var known))
            {
                known = new SortedSet<string>(StringComparer.Ordinal);
                actionsByResource.Add(resource, known);
            }

            known.UnionWith(actions);
        }

        return actionsByResource.Select(pair => pair.Key + ":" + JoinActions(pair.Value)).Concat(verbatim).ToList();
    }

    // The resource name sits between the first and the last colon, so a name could hold colons itself.
    private static bool TrySplit(string scope, out string resource, out string[] actions)
    {
        var first = scope.IndexOf(':', StringComparison.Ordinal);
        var last = scope.LastIndexOf(':');
        resource = "";
        actions = [];
        if (first <= 0 || last == first || last == first + 1)
        {
            return false;
        }

        actions = scope[(last + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries);
        resource = scope[..last];
        return actions.Length > 0;
    }

    private static string JoinActions(IEnumerable<string> actions)
    {
        var distinct = actions.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return distinct.Contains(Wildcard) ? Wildcard : string.Join(',', distinct);
    }
}

using System.Collections.Concurrent;
using OrasAssemble.Spec;

namespace OrasAssemble.SpecArtifacts;

/// <summary>
/// Specs already parsed and validated, by the digest of the blob they were read from: the same bytes always give the
/// same spec, so a host that reads the same specs again (the node plugin, on every warm publish) need not validate them
/// again. Only valid specs are kept; bounded by starting over when full, which costs one parse per spec in use.
/// </summary>
public sealed class ParsedSpecs
{
    public const int MaxEntries = 256;

    private readonly ConcurrentDictionary<string, ValidSpec> _specs = new(StringComparer.Ordinal);

    public ValidSpec GetOrParse(string digest, Func<ValidSpec> parse)
    {
        if (_specs.TryGetValue(digest, out var known))
        {
            return known;
        }

        var spec = parse();
        if (_specs.Count >= MaxEntries)
        {
            _specs.Clear();
        }

        _specs.TryAdd(digest, spec);
        return spec;
    }
}

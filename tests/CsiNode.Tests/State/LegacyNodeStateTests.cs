using System.Security.Cryptography;
using System.Text;
using OrasAssemble.Cache;
using OrasAssemble.CsiNode.State;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.CsiNode.Tests.State;

/// <summary>An upgraded node keeps what it wrote before the cache owned pins and the ledger.</summary>
public sealed class LegacyNodeStateTests : IDisposable
{
    private const string Reference = "registry.example/apps/hello:1.0";
    private const string Digest = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Reference_pins_and_tree_sources_and_last_use_written_by_an_earlier_node_are_kept()
    {
        var cache = TreeCache.Open(new CacheOptions { Root = _dir.Combine("cache") });
        var key = new string('a', 64);
        Directory.CreateDirectory(cache.TreePath(key));
        var state = _dir.Combine("cache", "node");
        Directory.CreateDirectory(Path.Combine(state, "references"));
        Directory.CreateDirectory(Path.Combine(state, "trees"));
        File.WriteAllText(Path.Combine(state, "references", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Reference)))), $"{Digest} {key}");
        File.WriteAllText(Path.Combine(state, "trees", key + ".sources.json"), $$"""[{"reference":"{{Reference}}","manifestDigest":"{{Digest}}"}]""");
        var used = Path.Combine(state, "trees", key + ".used");
        File.WriteAllText(used, "");
        var lastUse = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(used, lastUse);

        LegacyNodeState.MoveInto(cache, state);

        Assert.Equal(new TreePin(key, Digest), cache.Pins.Find(Reference));
        Assert.Equal([new TreeSource(Reference, Digest)], cache.Ledger.Sources(key));
        Assert.Equal(lastUse, cache.Ledger.LastUsed(key)!.Value.UtcDateTime);
        Assert.False(Directory.Exists(Path.Combine(state, "references")));
        Assert.False(Directory.Exists(Path.Combine(state, "trees")));
    }
}

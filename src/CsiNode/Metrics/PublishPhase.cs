namespace OrasAssemble.CsiNode.Metrics;

/// <summary>
/// The parts of a NodePublishVolume call, each timed on its own (<c>oras_assemble_csi_publish_phase_seconds</c>), so
/// where a publish spends its time is visible on a live node. A fixed set: these are the only labels.
/// </summary>
internal static class PublishPhase
{
    /// <summary>Checking the request's arguments and volume attributes.</summary>
    public const string Validate = "validate";

    /// <summary>Whether the target is already published: its record and the mount table.</summary>
    public const string Lookup = "lookup";

    /// <summary>Reading the volume's secret and choosing its registry client.</summary>
    public const string Credentials = "credentials";

    /// <summary>The volume reference to a manifest and a spec (the registry, unless a recent read stands in).</summary>
    public const string Resolve = "resolve";

    /// <summary>The spec's sources to a tree: found in the cache, or built.</summary>
    public const string Tree = "tree";

    /// <summary>The tenancy check of a cached tree's sources, and the pins and ledger after it.</summary>
    public const string Tenancy = "tenancy";

    /// <summary>Making the target directory and writing the publish record (replaced atomically, not synced to disk).</summary>
    public const string Record = "record";

    /// <summary>The bind mount and its read-only remount.</summary>
    public const string Mount = "mount";

    public static readonly IReadOnlyList<string> All = [Validate, Lookup, Credentials, Resolve, Tree, Tenancy, Record, Mount];
}

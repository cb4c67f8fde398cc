namespace OrasAssemble.Layers;

/// <summary>The layer tries something that could reach outside the target directory or past a configured bound; nothing of it may be used.</summary>
internal sealed class UnsafeLayerException(string layerDigest, string? entryName, string reason, Exception? innerException = null)
    : LayerException(layerDigest, entryName, reason, innerException)
{
    /// <summary>The tree's budget (<see cref="TreeBudget"/>) refused the entry: what the build wrote in all would be too much.</summary>
    public bool OverTreeBudget { get; init; }
}

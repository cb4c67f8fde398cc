namespace OrasAssemble.Layers;

/// <summary>The layer is well formed but uses a format this implementation does not handle (zstd, sparse files).</summary>
internal sealed class UnsupportedLayerException(string layerDigest, string? entryName, string reason, Exception? innerException = null)
    : LayerException(layerDigest, entryName, reason, innerException);

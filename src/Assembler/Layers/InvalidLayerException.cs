namespace OrasAssemble.Layers;

/// <summary>The layer's data is damaged or contradicts itself.</summary>
internal sealed class InvalidLayerException(string layerDigest, string? entryName, string reason, Exception? innerException = null)
    : LayerException(layerDigest, entryName, reason, innerException);

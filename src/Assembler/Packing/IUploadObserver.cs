namespace OrasAssemble.Packing;

/// <summary>Hears how each layer of a push went, e.g. to show progress.</summary>
public interface IUploadObserver
{
    /// <summary>The store already holds the layer; nothing is uploaded.</summary>
    void Exists(PreparedLayer layer);

    /// <summary>The layer's upload starts; returns the stream to read its bytes through (<paramref name="content"/> itself, or a wrapper).</summary>
    Stream Uploading(PreparedLayer layer, Stream content);

    /// <summary>The store accepted the layer.</summary>
    void Uploaded(PreparedLayer layer);
}

namespace OrasAssemble.CsiNode.Publishing;

/// <summary>Gets a volume's content into the cache; the publisher mounts what it returns.</summary>
internal interface ITreePreparer
{
    /// <exception cref="VolumeException">The request is invalid or refused by node policy.</exception>
    Task<PreparedTree> PrepareAsync(PublishRequest request, CancellationToken cancellationToken);
}

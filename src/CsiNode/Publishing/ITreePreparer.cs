namespace OrasAssemble.CsiNode.Publishing;

/// <summary>Gets a volume's content into the cache; the publisher mounts what it returns.</summary>
internal interface ITreePreparer
{
    /// <exception cref="VolumeException">The request is invalid or refused by node policy.</exception>
    Task<PreparedTree> PrepareAsync(PublishRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Holds a prepared tree in use until disposed, so the cache does not remove it while it is mounted; throws
    /// (pending) when it was removed since it was prepared.
    /// </summary>
    /// <exception cref="VolumeException">The tree is gone; the next call prepares it again.</exception>
    Task<IDisposable> HoldAsync(PreparedTree tree, CancellationToken cancellationToken);
}

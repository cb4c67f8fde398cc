using System.Collections.Concurrent;
using OrasAssemble.Cli.Progress;
using OrasAssemble.Cli.Targets;
using OrasAssemble.IO;
using OrasAssemble.Oci;
using OrasAssemble.Packing;

namespace OrasAssemble.Cli.Packing;

/// <summary>
/// <c>pack</c>'s work: describes each input as a layer with the library's <see cref="LayerPreparer"/> (folders strictly:
/// links stay inside, no FIFOs or devices) and pushes them with its <see cref="ArtifactPusher"/>, showing progress.
/// </summary>
internal sealed class ArtifactPacker(ITransferTracker progress, TimeProvider clock)
{
    /// <summary>ORAS's artifact type when the user names none.</summary>
    public const string DefaultArtifactType = ArtifactPusher.DefaultArtifactType;

    /// <exception cref="UsageException">An input cannot be packed.</exception>
    public async Task<Descriptor> PackAsync(ArtifactTarget target, PackRequest request, CancellationToken cancellationToken)
    {
        var temp = Directory.CreateTempSubdirectory("oras-assemble-pack-");
        try
        {
            var preparer = new LayerPreparer(temp.FullName);
            var layers = new List<PreparedLayer>();
            foreach (var input in request.Inputs)
            {
                try
                {
                    layers.Add(input.IsDirectory
                        ? await preparer.PrepareDirectoryAsync(input.Path, input.Title, input.MediaType, FolderPackOptions.Strict, cancellationToken).ConfigureAwait(false)
                        : await LayerPreparer.PrepareFileAsync(input.Path, input.Title, input.MediaType, cancellationToken).ConfigureAwait(false));
                }
                catch (PackingException e)
                {
                    throw new UsageException(e.Message, e);
                }
            }

            return await new ArtifactPusher(clock).PushAsync(
                target.Store, layers, request.ArtifactType, request.Annotations, target.Reference.PushTag, new Observer(progress), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            TempTree.DeleteQuietly(temp.FullName);
        }
    }

    private sealed class Observer(ITransferTracker progress) : IUploadObserver
    {
        private readonly ConcurrentDictionary<PreparedLayer, ITransfer> _transfers = new();

        public void Exists(PreparedLayer layer) => progress.Skip(layer.Name, "Exists");

        public Stream Uploading(PreparedLayer layer, Stream content)
        {
            var transfer = progress.Start("Uploading", layer.Name, layer.Descriptor.Size);
            _transfers[layer] = transfer;
            return new ProgressStream(content, transfer, leaveOpen: true);
        }

        public void Uploaded(PreparedLayer layer)
        {
            if (_transfers.TryRemove(layer, out var transfer))
            {
                transfer.Complete("Uploaded");
            }
        }
    }
}

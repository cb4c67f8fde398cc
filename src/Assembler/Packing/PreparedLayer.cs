using OrasAssemble.Oci;

namespace OrasAssemble.Packing;

/// <summary>A layer ready to push: its descriptor and the file holding exactly its bytes.</summary>
/// <param name="Name">How progress names it: the title, with a trailing '/' for a folder.</param>
public sealed record PreparedLayer(Descriptor Descriptor, string ContentPath, string Name)
{
    /// <summary>Paths inside a folder that were left out (FIFOs, sockets, devices), relative to the folder's parent.</summary>
    public IReadOnlyList<string> Skipped { get; init; } = [];
}

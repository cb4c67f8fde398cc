using OrasAssemble.Oci;

namespace OrasAssemble.Cli.Packing;

/// <summary>A layer ready to push: its descriptor and the file holding exactly its bytes.</summary>
internal sealed record PreparedLayer(Descriptor Descriptor, string ContentPath, string Name);

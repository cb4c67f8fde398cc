using OrasAssemble.Oci;

namespace OrasAssemble.Tests.Containers;

/// <summary>One image of the <see cref="ImageCorpus"/>: a tag of its OCI image layout and the manifest it points at.</summary>
internal sealed record CorpusImage(string Tag, string LayoutPath, Descriptor Manifest)
{
    /// <summary>
    /// How a spec names the image when the layout is its store (<c>StoreTargetLocator</c>): pinned to the manifest's
    /// digest, which the layout resolves as it is.
    /// </summary>
    public string Reference => $"corpus.example/{Tag}@{Manifest.Digest}";

    /// <summary>The image as umoci and skopeo name it: <c>layout:tag</c>.</summary>
    public string LayoutReference => $"{LayoutPath}:{Tag}";
}

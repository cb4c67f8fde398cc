using OrasAssemble.Layout;
using OrasAssemble.Oci;
using OrasAssemble.Registry;
using OrasAssemble.Spec.Model;

namespace OrasAssemble.Spec;

/// <summary>
/// A source of a <see cref="ValidSpec"/>: a registry <see cref="Reference"/>, or a local OCI layout
/// (<see cref="Layout"/>) for an <c>oci-layout://</c> source; exactly one of the two is set.
/// </summary>
public sealed class ValidSource
{
    internal ValidSource(string name, SourceSpec model, Reference? reference, OciLayoutReference? layout, Platform? platform)
    {
        Name = name;
        Model = model;
        Reference = reference;
        Layout = layout;
        Platform = platform;
    }

    /// <summary>The name under <c>sources</c>.</summary>
    public string Name { get; }

    /// <summary>The reference as the spec writes it, which messages quote.</summary>
    public string Ref => Model.Ref;

    public Reference? Reference { get; }

    public OciLayoutReference? Layout { get; }

    /// <summary>The source's own platform, when it names one.</summary>
    public Platform? Platform { get; }

    /// <summary>The source as written, with its layer filters (media types, annotations).</summary>
    public SourceSpec Model { get; }
}

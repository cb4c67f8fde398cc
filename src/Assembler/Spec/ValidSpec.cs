using OrasAssemble.Oci;
using OrasAssemble.Spec.Model;

namespace OrasAssemble.Spec;

/// <summary>
/// A spec that passed validation, with its values in the form the executor uses: references parsed, platforms
/// parsed, tree paths normalised, modes and owners as numbers, globs compiled. Only the parser and validator make one
/// (<see cref="Parsing.SpecDocument.GetValidSpec"/>, <see cref="Parsing.SpecJson.Deserialize"/>, and the whole-artifact
/// spec of a volume), so holding one means nothing in it needs checking or parsing again. <see cref="Model"/> is the
/// plain spec it was made from, for writing it out.
/// </summary>
public sealed class ValidSpec
{
    private readonly byte[] _json;

    internal ValidSpec(AssemblySpec model, byte[] json, IReadOnlyList<ValidSource> sources, IReadOnlyList<ValidStep> steps, Platform? basePlatform)
    {
        Model = model;
        _json = json;
        Digest = Oci.Digest.ComputeSha256(json);
        Sources = sources;
        Steps = steps;
        BasePlatform = basePlatform;
    }

    /// <summary>The spec as a record, for serialising (JSON, YAML) and for tools that rewrite it (pin, rebase).</summary>
    public AssemblySpec Model { get; }

    /// <summary>The digest of the spec's canonical JSON, which is what a spec artifact's layer holds; it feeds every tree key.</summary>
    public string Digest { get; }

    /// <summary>The canonical JSON (<see cref="Parsing.SpecJson"/>) the digest is of.</summary>
    public ReadOnlyMemory<byte> Json => _json;

    /// <summary>Sources in the order the spec lists them.</summary>
    public IReadOnlyList<ValidSource> Sources { get; }

    /// <summary>The platform <c>base.platform</c> names, which sources without their own default to.</summary>
    public Platform? BasePlatform { get; }

    /// <summary><c>options.allowSetuid</c>: setuid and setgid bits are kept in the tree.</summary>
    public bool AllowSetuid => Model.Options.AllowSetuid;

    /// <summary>Steps in the order they run.</summary>
    internal IReadOnlyList<ValidStep> Steps { get; }
}

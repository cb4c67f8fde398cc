using OrasAssemble.Spec.Parsing;
using OrasAssemble.Spec.Validation;

namespace OrasAssemble.Spec.Model;

/// <summary>
/// An assembly spec, v1: which artifacts and images to read (<see cref="Sources"/>) and what to do with their
/// files (<see cref="Steps"/>), in order, to build the tree that is mounted into pods. Field meanings are
/// defined by spec/assembly-spec.md. A value of this type is not necessarily valid, and the executor does not take
/// one: parsing and validating through <see cref="SpecDocument"/> gives the <see cref="ValidSpec"/> it runs, whose
/// <see cref="ValidSpec.Model"/> this is. Check one built in code with <see cref="SpecValidator"/>.
/// </summary>
public sealed record AssemblySpec
{
    public const string ApiVersionV1 = "assemble.oras.land/v1";
    public const string KindAssembly = "Assembly";

    public string ApiVersion { get; init; } = ApiVersionV1;

    public string Kind { get; init; } = KindAssembly;

    public required SpecMetadata Metadata { get; init; }

    /// <summary>The image the tree is mounted over, when the spec names one.</summary>
    public BaseImageSpec? Base { get; init; }

    /// <summary>Where the webhook mounts the tree, when the spec says.</summary>
    public MountSpec? Mount { get; init; }

    /// <summary>Sources by name, in the order the spec lists them.</summary>
    public required IReadOnlyDictionary<string, SourceSpec> Sources { get; init; }

    /// <summary>Steps in the order they run.</summary>
    public required IReadOnlyList<StepSpec> Steps { get; init; }

    public SpecOptions Options { get; init; } = SpecOptions.Default;
}

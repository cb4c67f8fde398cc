using OrasAssemble.Spec.Model;
using OrasAssemble.Spec.Validation;

namespace OrasAssemble.Spec.Parsing;

/// <summary>
/// What <see cref="SpecParser"/> read from spec text: the model as written and where each field is. Nothing
/// here is validated yet; <see cref="SpecValidator.Validate(ParsedSpec)"/> does that.
/// </summary>
internal sealed class ParsedSpec
{
    internal ParsedSpec(IReadOnlyList<SpecError> errors, SpecPositionMap positions, SpecNode? root)
    {
        Errors = errors;
        Positions = positions;
        Root = root;
        if (root is not null && errors.Count == 0)
        {
            (Spec, StepIndexes) = SpecModelBuilder.Build(root);
        }
    }

    /// <summary>
    /// The spec as written, or null when the text could not be read. Fields with a value of the wrong type
    /// hold an empty string or false, and steps or sources that are not mappings are left out.
    /// </summary>
    public AssemblySpec? Spec { get; }

    /// <summary>Problems reading the text (YAML syntax, size and nesting limits); when there are any, <see cref="Spec"/> is null.</summary>
    public IReadOnlyList<SpecError> Errors { get; }

    public SpecPositionMap Positions { get; }

    internal SpecNode? Root { get; }

    /// <summary>For each step in <see cref="Spec"/>, its index in the document's step list.</summary>
    internal IReadOnlyList<int> StepIndexes { get; } = [];
}

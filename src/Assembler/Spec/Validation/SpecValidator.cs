using OrasAssemble.Spec.Model;
using OrasAssemble.Spec.Parsing;

namespace OrasAssemble.Spec.Validation;

/// <summary>
/// Validates a spec in two passes and reports every problem at once: structure against the JSON Schema, then
/// meaning by rules (sources defined and used, paths legal, globs and modes well formed, references parse,
/// no two steps writing the same destination unless told to overwrite, platform names). Errors come in
/// document order, each naming its field path and, for parsed text, its line and column.
/// </summary>
public static class SpecValidator
{
    public static IReadOnlyList<SpecError> Validate(ParsedSpec parsed)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        if (parsed.Errors.Count > 0 || parsed.Root is null || parsed.Spec is null)
        {
            return Finish(parsed.Errors);
        }

        var errors = new List<SpecError>();
        var structural = SpecSchema.Check(parsed.Root);
        foreach (var (path, message) in structural)
        {
            errors.Add(new SpecError(path, parsed.Positions.Find(path), message));
        }

        // The rules still run when the structure is wrong, so one pass shows everything; a rule's error at or
        // under a field the schema already rejected is dropped, as it would only restate that problem.
        var sourceNames = (parsed.Root as SpecObject)?.Get("sources") is SpecObject sources
            ? sources.Properties.Select(p => p.Key).ToList()
            : null;
        var rules = new AssemblySpecRules(parsed.Spec, parsed.StepIndexes, sourceNames, checkAcrossSteps: structural.Count == 0);
        foreach (var failure in rules.Validate(parsed.Spec).Errors)
        {
            var path = failure.PropertyName;
            if (structural.Any(s => FieldPath.IsWithin(path, s.Path)))
            {
                continue;
            }

            errors.Add(new SpecError(path, parsed.Positions.Find(path), failure.ErrorMessage));
        }

        if (errors.Count == 0)
        {
            // The artifact layer must be readable by the same parser, so its canonical form obeys the same limit.
            var size = SpecJson.Serialize(parsed.Spec).Length;
            if (size > SpecLimits.MaxBytes)
            {
                errors.Add(new SpecError(FieldPath.Root, SpecPosition.Start, $"the spec's JSON form is {size} bytes; the limit is {SpecLimits.MaxBytes}"));
            }
        }

        return Finish(errors);
    }

    /// <summary>Validates a spec built in code. The errors carry field paths but no positions.</summary>
    public static IReadOnlyList<SpecError> Validate(AssemblySpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        byte[] json;
        try
        {
            json = SpecJson.Serialize(spec);
        }
        catch (ArgumentException invalid)
        {
            return [new SpecError(FieldPath.Root, SpecPosition.None, invalid.Message)];
        }

        // Going through the canonical JSON checks exactly what would be pushed, with the same two passes.
        return Validate(SpecParser.Parse(json))
            .Select(error => error with { Line = 0, Column = 0 })
            .ToList();
    }

    private static IReadOnlyList<SpecError> Finish(IReadOnlyList<SpecError> errors)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var ordered = errors
            .Select((error, order) => (error, order))
            .OrderBy(e => e.error.Line)
            .ThenBy(e => e.error.Column)
            .ThenBy(e => e.order)
            .Select(e => e.error)
            .Where(error => seen.Add(error.Path) || error.Path.Length == 0)
            .ToList();
        if (ordered.Count <= SpecLimits.MaxErrors)
        {
            return ordered;
        }

        var shown = ordered.Take(SpecLimits.MaxErrors).ToList();
        shown.Add(new SpecError(FieldPath.Root, SpecPosition.None, $"{ordered.Count - SpecLimits.MaxErrors} more errors not shown"));
        return shown;
    }
}

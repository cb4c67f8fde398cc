using OrasAssemble.Spec.Model;
using OrasAssemble.Spec.Parsing;

namespace OrasAssemble.Spec.Validation;

/// <summary>
/// Validates a spec in two passes and reports every problem at once: structure against the JSON Schema, then
/// meaning by rules (sources defined and used, paths legal, globs and modes well formed, references parse,
/// no two steps writing the same destination unless told to overwrite, platform names). Errors come in
/// document order, each naming its field path and, for parsed text, its line and column.
/// </summary>
internal static class SpecValidator
{
    public static IReadOnlyList<SpecError> Validate(ParsedSpec parsed) => Check(parsed).Errors;

    /// <summary>Validates a spec built in code and gives its <see cref="ValidSpec"/>, whose model is <paramref name="spec"/> itself.</summary>
    /// <exception cref="InvalidSpecException">The spec has errors; all of them are in the exception.</exception>
    internal static ValidSpec Require(AssemblySpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        byte[] json;
        try
        {
            json = SpecJson.Serialize(spec);
        }
        catch (ArgumentException invalid)
        {
            throw new InvalidSpecException([new SpecError(FieldPath.Root, SpecPosition.None, invalid.Message)]);
        }

        var errors = WithoutPositions(Validate(SpecParser.Parse(json)));
        return errors.Count == 0 ? ValidSpecBuilder.Build(spec, json) : throw new InvalidSpecException(errors);
    }

    /// <summary>The errors of a parsed spec and, when there are none, its canonical JSON.</summary>
    internal static (IReadOnlyList<SpecError> Errors, byte[]? Json) Check(ParsedSpec parsed)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        if (parsed.Errors.Count > 0 || parsed.Root is null || parsed.Spec is null)
        {
            return (Finish(parsed.Errors), null);
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

        if (errors.Count > 0)
        {
            return (Finish(errors), null);
        }

        // The artifact layer must be readable by the same parser, so its canonical form obeys the same limit.
        var json = SpecJson.Serialize(parsed.Spec);
        if (json.Length > SpecLimits.MaxBytes)
        {
            return (Finish([new SpecError(FieldPath.Root, SpecPosition.Start, $"the spec's JSON form is {json.Length} bytes; the limit is {SpecLimits.MaxBytes}")]), null);
        }

        return ([], json);
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
        return WithoutPositions(Validate(SpecParser.Parse(json)));
    }

    // Positions in the canonical JSON would point into text nobody wrote.
    private static List<SpecError> WithoutPositions(IReadOnlyList<SpecError> errors) =>
        errors.Select(error => error with { Line = 0, Column = 0 }).ToList();

    /// <summary>
    /// Checks a source's media types as validating a whole spec does, with the same messages (schema limits first, then
    /// the media type grammar): for a spec made in code whose other parts are typed already.
    /// </summary>
    internal static IReadOnlyList<SpecError> ValidateMediaTypes(string path, IReadOnlyList<string> mediaTypes)
    {
        // In document order, as a whole spec's errors are: the list's own first, then each entry's. A schema error at
        // the list or an entry leaves out the rule's error under it, as in Validate.
        var errors = new List<SpecError>();
        var tooMany = mediaTypes.Count > SpecLimits.MaxMediaTypes;
        if (tooMany)
        {
            errors.Add(new SpecError(path, SpecPosition.None, $"has more than {SpecLimits.MaxMediaTypes} entries"));
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var twice = false;
        for (var i = 0; i < mediaTypes.Count; i++)
        {
            var item = FieldPath.Index(path, i);
            var mediaType = mediaTypes[i];
            var structural = errors.Count;
            if (mediaType.Length == 0)
            {
                errors.Add(new SpecError(item, SpecPosition.None, "must not be empty"));
            }
            else if (mediaType.Length > SpecLimits.MaxMediaTypeLength)
            {
                errors.Add(new SpecError(item, SpecPosition.None, $"is longer than {SpecLimits.MaxMediaTypeLength} characters"));
            }

            if (!seen.Add(mediaType) && !twice)
            {
                // The schema names the first repeat only.
                twice = true;
                errors.Add(new SpecError(item, SpecPosition.None, $"\"{SpecPath.Show(mediaType)}\" is listed twice"));
            }

            if (!tooMany && errors.Count == structural && NameRules.MediaTypeProblem(mediaType) is { } problem)
            {
                errors.Add(new SpecError(item, SpecPosition.None, problem));
            }
        }

        return Finish(errors);
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

using System.Globalization;
using System.Text;
using NJsonSchema;
using NJsonSchema.Validation;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using OrasAssemble.Spec.Validation;

namespace OrasAssemble.Spec.Parsing;

/// <summary>
/// The JSON Schema of spec v1 (schemas/assembly-spec.v1.schema.json, embedded in this assembly) and the
/// structural pass that checks a document against it.
/// </summary>
internal static class SpecSchema
{
    private const string ResourceName = "OrasAssemble.Spec.assembly-spec.v1.schema.json";

    private static readonly Lazy<string> LazyText = new(LoadText);

    // Loading has no I/O (the schema refers only to itself), so waiting on the task here cannot deadlock.
    private static readonly Lazy<JsonSchema> Schema = new(() => Task.Run(() => JsonSchema.FromJsonAsync(Text)).GetAwaiter().GetResult());

    /// <summary>Reads the schema now, if nothing has yet.</summary>
    internal static void Prepare() => _ = Schema.Value;

    /// <summary>The schema text, e.g. to hand to an editor.</summary>
    public static string Text => LazyText.Value;

    /// <summary>Checks the document's structure; returns one error per offending field.</summary>
    internal static IReadOnlyList<(string Path, string Message)> Check(SpecNode root)
    {
        var lines = new List<SpecNode?> { null };
        var nodes = new Dictionary<string, SpecNode>(StringComparer.Ordinal);
        var json = new StringBuilder();
        WriteLines(root, json, lines, nodes, comma: false);

        JToken token;
        using (var reader = new JsonTextReader(new StringReader(json.ToString())) { DateParseHandling = DateParseHandling.None, MaxDepth = null })
        {
            token = JToken.ReadFrom(reader, new JsonLoadSettings { LineInfoHandling = LineInfoHandling.Load });
        }

        var found = new List<(string Path, string Message)>();
        var wrongType = new List<string>();
        foreach (var error in Flatten(Schema.Value.Validate(token)))
        {
            var at = error.HasLineInfo && error.LineNumber > 0 && error.LineNumber < lines.Count ? lines[error.LineNumber] : null;
            var translated = Translate(error, at ?? root, nodes);
            found.Add(translated);
            if (error.Kind is ValidationErrorKind.ObjectExpected or ValidationErrorKind.ArrayExpected)
            {
                wrongType.Add(translated.Path);
            }
        }

        // Inside a value of the wrong type, the schema goes on to check fields that cannot exist; those errors add nothing.
        return found
            .Where(error => !wrongType.Any(parent => error.Path != parent && FieldPath.IsWithin(error.Path, parent)))
            .ToList();
    }

    private static string LoadText()
    {
        using var stream = typeof(SpecSchema).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"resource {ResourceName} is missing from the assembly");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    // Writes JSON with every value and property name on a line of its own, so the line an error is
    // reported on identifies the spec node, whatever its key looks like.
    private static void WriteLines(SpecNode node, StringBuilder json, List<SpecNode?> lines, Dictionary<string, SpecNode> nodes, bool comma)
    {
        nodes.TryAdd(node.Path, node);
        var prefix = comma ? "," : "";
        switch (node)
        {
            case SpecObject obj:
                Line(json, lines, node, prefix + "{");
                for (var i = 0; i < obj.Properties.Count; i++)
                {
                    var property = obj.Properties[i];
                    Line(json, lines, property.Value, (i > 0 ? "," : "") + JsonConvert.ToString(property.Key) + ":");
                    WriteLines(property.Value, json, lines, nodes, comma: false);
                }

                Line(json, lines, node, "}");
                break;
            case SpecArray array:
                Line(json, lines, node, prefix + "[");
                for (var i = 0; i < array.Items.Count; i++)
                {
                    WriteLines(array.Items[i], json, lines, nodes, comma: i > 0);
                }

                Line(json, lines, node, "]");
                break;
            case SpecScalar scalar:
                Line(json, lines, node, prefix + scalar.Type switch
                {
                    ScalarType.String => JsonConvert.ToString(scalar.Text),
                    ScalarType.Boolean => scalar.IsTrue ? "true" : "false",
                    ScalarType.Integer => "0",
                    ScalarType.Float => "0.5",
                    _ => "null",
                });
                break;
        }
    }

    private static void Line(StringBuilder json, List<SpecNode?> lines, SpecNode node, string text)
    {
        json.Append(text).Append('\n');
        lines.Add(node);
    }

    private static IEnumerable<ValidationError> Flatten(IEnumerable<ValidationError> errors)
    {
        foreach (var error in errors)
        {
            if (error is ChildSchemaValidationError parent && parent.Errors.Count > 0)
            {
                foreach (var child in Flatten(parent.Errors.SelectMany(pair => pair.Value)))
                {
                    yield return child;
                }
            }
            else
            {
                yield return error;
            }
        }
    }

    private static (string Path, string Message) Translate(ValidationError error, SpecNode node, Dictionary<string, SpecNode> nodes)
    {
        var schema = error.Schema?.ActualSchema;
        switch (error.Kind)
        {
            case ValidationErrorKind.PropertyRequired:
                return (FieldPath.Property(node.Path, error.Property ?? ""), "is required");
            case ValidationErrorKind.NoAdditionalPropertiesAllowed:
                return (node.Path, UnknownField(error.Property ?? "", node, nodes));
            case ValidationErrorKind.ItemsNotUnique when node is SpecArray array:
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var item in array.Items)
                {
                    if (item is SpecScalar scalar && !seen.Add(scalar.Text))
                    {
                        return (item.Path, $"\"{SpecPath.Show(scalar.Text)}\" is listed twice");
                    }
                }

                return (node.Path, "has duplicate entries");
        }

        var message = error.Kind switch
        {
            ValidationErrorKind.StringExpected => "must be a string" + Actual(node, quoteHint: true),
            ValidationErrorKind.BooleanExpected => "must be true or false" + BooleanHint(node),
            ValidationErrorKind.ObjectExpected => "must be a mapping" + Actual(node, quoteHint: false),
            ValidationErrorKind.ArrayExpected => "must be a list" + Actual(node, quoteHint: false),
            ValidationErrorKind.PatternMismatch => Custom(schema, "pattern") ?? $"does not match the pattern {schema?.Pattern}",
            ValidationErrorKind.NotInEnumeration => (Custom(schema, "enum") ?? "is not one of the allowed values") + Found(node),
            ValidationErrorKind.StringTooShort => "must not be empty",
            ValidationErrorKind.StringTooLong => $"is longer than {schema?.MaxLength} characters",
            ValidationErrorKind.TooFewItems => schema?.MinItems == 1 ? "must not be empty" : $"needs at least {schema?.MinItems} entries",
            ValidationErrorKind.TooManyItems => $"has more than {schema?.MaxItems} entries",
            ValidationErrorKind.TooFewProperties => Custom(schema, "minProperties") ?? "must not be empty",
            ValidationErrorKind.TooManyProperties => Custom(schema, "maxProperties") ?? $"has more than {schema?.MaxProperties} entries",
            var other => $"is not valid ({other})",
        };
        return (node.Path, message);
    }

    private static string UnknownField(string key, SpecNode node, Dictionary<string, SpecNode> nodes)
    {
        if (key == "<<")
        {
            return "YAML merge keys (<<) are not supported; repeat the fields, or use an alias for the whole value";
        }

        var parent = FieldPath.Parent(node.Path) is { } parentPath && nodes.TryGetValue(parentPath, out var found) ? found : null;
        var known = parent is null ? [] : KnownFields(parent.Path);
        return $"unknown field \"{SpecPath.Show(key)}\"" + Suggestion.Hint(key, known);
    }

    // The fields a mapping at this path may have, for "did you mean" hints.
    private static IEnumerable<string> KnownFields(string path)
    {
        var schema = Schema.Value;
        var current = schema.ActualSchema;
        var segments = path.Length == 0 ? [] : SplitPlain(path);
        foreach (var segment in segments)
        {
            if (current is null)
            {
                return [];
            }

            if (segment.StartsWith('[') && !segment.StartsWith("[\"", StringComparison.Ordinal))
            {
                current = current.Item?.ActualSchema;
            }
            else if (current.Properties.TryGetValue(segment, out var property))
            {
                current = property.ActualSchema;
            }
            else
            {
                current = current.AdditionalPropertiesSchema?.ActualSchema;
            }
        }

        return current?.Properties.Keys.Where(k => k != "$schema") ?? [];
    }

    // Splits a path into its keys and indexers; quoted keys are never schema fields, so they are kept as written.
    private static IEnumerable<string> SplitPlain(string path)
    {
        var parts = new List<string>();
        var current = path;
        while (FieldPath.Parent(current) is { } parent)
        {
            var last = current[parent.Length..].TrimStart('.');
            parts.Insert(0, last);
            current = parent;
        }

        return parts;
    }

    private static string? Custom(JsonSchema? schema, string keyword)
    {
        if (schema?.ExtensionData is { } data
            && data.TryGetValue("errorMessage", out var messages)
            && messages is IDictionary<string, object?> byKeyword
            && byKeyword.TryGetValue(keyword, out var message))
        {
            return Convert.ToString(message, CultureInfo.InvariantCulture);
        }

        return null;
    }

    private static string Actual(SpecNode node, bool quoteHint) => node switch
    {
        SpecScalar { Type: ScalarType.Null } => ", but has no value",
        SpecScalar { Type: ScalarType.Integer or ScalarType.Float } => quoteHint ? ", not a number; put it in quotes" : ", not a number",
        SpecScalar { Type: ScalarType.Boolean } => quoteHint ? ", not true/false; put it in quotes" : ", not true/false",
        SpecScalar => ", not a string",
        SpecArray => ", not a list",
        SpecObject => ", not a mapping",
        _ => "",
    };

    private static string BooleanHint(SpecNode node) =>
        node is SpecScalar { Type: ScalarType.String } scalar
        && scalar.Text.ToLowerInvariant() is "yes" or "no" or "on" or "off" or "y" or "n"
            ? $" (YAML 1.2 reads {scalar.Text} as a string)"
            : Actual(node, quoteHint: false);

    private static string Found(SpecNode node) =>
        node is SpecScalar scalar ? $", not \"{SpecPath.Show(scalar.Text)}\"" : "";
}

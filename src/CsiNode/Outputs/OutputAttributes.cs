using System.Text.RegularExpressions;
using OrasAssemble.CsiNode.Publishing;
using OrasAssemble.Failures;
using OrasAssemble.Packing;
using OrasAssemble.Registry;
using OrasAssemble.Text;

namespace OrasAssemble.CsiNode.Outputs;

/// <summary>
/// What an output volume asks for, read from its <c>volumeAttributes</c>: where to push (a
/// <see cref="PodReferenceTemplate"/>, with the pod's name, namespace or uid put in), the artifact type and the
/// manifest annotations.
/// </summary>
internal sealed partial record OutputAttributes
{
    private const int MaxAnnotations = 64;
    private const int MaxAnnotationsText = 16 * 1024;

    /// <summary>The reference as written in the pod, placeholders and all.</summary>
    public required string Template { get; init; }

    /// <summary>Where the output is pushed: the template with the pod's values put in; always with a tag.</summary>
    public required Registry.Reference Reference { get; init; }

    public string ArtifactType { get; init; } = ArtifactPusher.DefaultArtifactType;

    public IReadOnlyDictionary<string, string> Annotations { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Whether a volume context asks for an output volume rather than one read from an artifact.</summary>
    public static bool Requested(IReadOnlyDictionary<string, string> context) => context.ContainsKey(VolumeContextKeys.OutputReference);

    /// <exception cref="VolumeException">An attribute is missing, unknown or malformed, or needs pod info kubelet did not pass; the message names it.</exception>
    public static OutputAttributes Parse(IReadOnlyDictionary<string, string> context, PodInfo pod)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(pod);
        foreach (var key in context.Keys.Where(k => k.StartsWith("oras.", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            if (key is VolumeContextKeys.Reference or VolumeContextKeys.InlineSpec)
            {
                throw Invalid(key, $"cannot be combined with {VolumeContextKeys.OutputReference}: a volume is either read from an artifact or written to one");
            }

            if (VolumeContextKeys.Attributes.Contains(key, StringComparer.Ordinal))
            {
                throw Invalid(key, $"applies to a volume read from an artifact, not to an output volume ({VolumeContextKeys.OutputReference})");
            }

            if (!VolumeContextKeys.OutputAttributes.Contains(key, StringComparer.Ordinal))
            {
                throw Invalid(key, $"is not a volume attribute of an output volume (known: {string.Join(", ", VolumeContextKeys.OutputAttributes)})");
            }
        }

        var template = context[VolumeContextKeys.OutputReference].Trim();
        if (template.Length == 0)
        {
            throw Invalid(VolumeContextKeys.OutputReference, "is empty; give the reference to push the volume's contents to (host/repository:tag)");
        }

        Registry.Reference reference;
        try
        {
            reference = PodReferenceTemplate.Parse(template).Expand(new PodIdentity(pod.Name, pod.Namespace, pod.Uid));
        }
        catch (InvalidReferenceException e)
        {
            throw Invalid(VolumeContextKeys.OutputReference, e.Message);
        }

        var artifactType = ArtifactPusher.DefaultArtifactType;
        if (Value(context, VolumeContextKeys.OutputArtifactType) is { } type)
        {
            if (!MediaType().IsMatch(type))
            {
                throw Invalid(VolumeContextKeys.OutputArtifactType, $"{QuotedValue.Of(type)} is not a media type (type/subtype, without parameters)");
            }

            artifactType = type;
        }

        return new OutputAttributes
        {
            Template = template,
            Reference = reference,
            ArtifactType = artifactType,
            Annotations = ParseAnnotations(Value(context, VolumeContextKeys.OutputAnnotations)),
        };
    }

    private static Dictionary<string, string> ParseAnnotations(string? text)
    {
        var annotations = new Dictionary<string, string>(StringComparer.Ordinal);
        if (text is null)
        {
            return annotations;
        }

        if (text.Length > MaxAnnotationsText)
        {
            throw Invalid(VolumeContextKeys.OutputAnnotations, $"is longer than {MaxAnnotationsText} characters");
        }

        foreach (var pair in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var key = equals > 0 ? pair[..equals].Trim() : "";
            if (key.Length == 0 || !AnnotationKey().IsMatch(key))
            {
                throw Invalid(VolumeContextKeys.OutputAnnotations, $"{QuotedValue.Of(pair)} is not key=value with a key such as org.example.step");
            }

            if (!annotations.TryAdd(key, pair[(equals + 1)..].Trim()))
            {
                throw Invalid(VolumeContextKeys.OutputAnnotations, $"{QuotedValue.Of(key)} is given twice");
            }
        }

        return annotations.Count > MaxAnnotations
            ? throw Invalid(VolumeContextKeys.OutputAnnotations, $"holds {annotations.Count} annotations; at most {MaxAnnotations} are allowed")
            : annotations;
    }

    private static string? Value(IReadOnlyDictionary<string, string> context, string key) =>
        context.TryGetValue(key, out var value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

    private static VolumeException Invalid(string key, string problem) =>
        new(FailureKind.InvalidInput, $"volume attribute {QuotedValue.Bare(key)}: {problem}");

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex MediaType();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._/-]{0,252}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex AnnotationKey();
}

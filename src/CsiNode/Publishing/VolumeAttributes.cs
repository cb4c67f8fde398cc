using System.Text.RegularExpressions;
using OrasAssemble.Execution;
using OrasAssemble.Failures;
using OrasAssemble.Registry;
using OrasAssemble.Text;

namespace OrasAssemble.CsiNode.Publishing;

/// <summary>What a volume asks for, read from its <c>volumeAttributes</c> (all strings, see spec/assembly-spec.md).</summary>
internal sealed partial record VolumeAttributes
{
    /// <summary>The artifact, image or spec artifact to mount; null when <see cref="InlineSpec"/> is given.</summary>
    public Reference? Reference { get; init; }

    /// <summary>A spec written in the pod, YAML or JSON; null when <see cref="Reference"/> is given.</summary>
    public string? InlineSpec { get; init; }

    /// <summary>Layer media types to extract from a whole artifact; empty means all.</summary>
    public IReadOnlyList<string> MediaTypes { get; init; } = [];

    public bool PlainHttp { get; init; }

    public bool Insecure { get; init; }

    /// <summary>Blobs downloaded at once; null leaves it to the node.</summary>
    public int? Concurrency { get; init; }

    public PullPolicy PullPolicy { get; init; } = PullPolicy.IfNotPresent;

    /// <summary>For logs and records: the reference, or "inline spec".</summary>
    public string Describe() => Reference?.ToString() ?? "inline spec";

    /// <exception cref="VolumeException">An attribute is missing, unknown or malformed; the message names it.</exception>
    public static VolumeAttributes Parse(IReadOnlyDictionary<string, string> context, int maxConcurrency)
    {
        // A misspelt option would otherwise be ignored and the volume mounted with defaults.
        foreach (var key in context.Keys)
        {
            if (VolumeContextKeys.OutputAttributes.Contains(key, StringComparer.Ordinal))
            {
                throw Invalid(key, $"applies only to an output volume, one with {VolumeContextKeys.OutputReference}");
            }

            if (key.StartsWith("oras.", StringComparison.Ordinal) && !VolumeContextKeys.Attributes.Contains(key, StringComparer.Ordinal))
            {
                throw Invalid(key, $"is not a volume attribute this driver knows (known: {string.Join(", ", VolumeContextKeys.Attributes)})");
            }
        }

        var referenceText = Value(context, VolumeContextKeys.Reference);
        var spec = Value(context, VolumeContextKeys.InlineSpec);
        Reference? reference = null;
        switch (referenceText, spec)
        {
            case (null, null):
                throw Invalid(VolumeContextKeys.Reference, $"is required (or give a spec inline in {VolumeContextKeys.InlineSpec})");
            case (not null, not null):
                throw Invalid(VolumeContextKeys.InlineSpec, $"cannot be combined with {VolumeContextKeys.Reference}");
            case (not null, null):
                if (!Registry.Reference.TryParse(referenceText, out reference))
                {
                    throw Invalid(VolumeContextKeys.Reference, $"{QuotedValue.Of(referenceText)} is not an artifact reference (host/repository[:tag][@digest])");
                }

                break;
        }

        if (spec is not null && Value(context, VolumeContextKeys.LayerMediaTypes) is not null)
        {
            // Ignoring it would mount more than the pod asked for.
            throw new VolumeException(FailureKind.InvalidInput,
                $"volume attribute {VolumeContextKeys.LayerMediaTypes} cannot be combined with {VolumeContextKeys.InlineSpec}: it filters a whole " +
                $"artifact named by {VolumeContextKeys.Reference}; in a spec, give each source its mediaTypes");
        }

        var mediaTypes = Value(context, VolumeContextKeys.LayerMediaTypes) is { } list
            ? list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).ToList()
            : [];
        if (mediaTypes.FirstOrDefault(m => !MediaType().IsMatch(m)) is { } malformed)
        {
            throw Invalid(VolumeContextKeys.LayerMediaTypes, $"{QuotedValue.Of(malformed)} is not a media type (type/subtype, without parameters)");
        }

        int? concurrency = null;
        if (Value(context, VolumeContextKeys.Concurrency) is { } concurrencyText)
        {
            if (!int.TryParse(concurrencyText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n)
                || n < 1 || n > maxConcurrency)
            {
                throw Invalid(VolumeContextKeys.Concurrency, $"{QuotedValue.Of(concurrencyText)} must be a whole number from 1 to {maxConcurrency}");
            }

            concurrency = n;
        }

        var pullAlways = Boolean(context, VolumeContextKeys.PullAlways);
        var policy = pullAlways == true ? PullPolicy.Always : PullPolicy.IfNotPresent;
        if (Value(context, VolumeContextKeys.PullPolicy) is { } policyText)
        {
            policy = policyText switch
            {
                "Always" => PullPolicy.Always,
                "IfNotPresent" => PullPolicy.IfNotPresent,
                _ => throw Invalid(VolumeContextKeys.PullPolicy, $"{QuotedValue.Of(policyText)} must be Always or IfNotPresent"),
            };
            if (pullAlways is { } always && always != (policy == PullPolicy.Always))
            {
                throw Invalid(VolumeContextKeys.PullAlways, $"{QuotedValue.Of(context[VolumeContextKeys.PullAlways])} contradicts {VolumeContextKeys.PullPolicy} {QuotedValue.Of(policyText)}");
            }
        }

        return new VolumeAttributes
        {
            Reference = reference,
            InlineSpec = spec,
            MediaTypes = mediaTypes,
            PlainHttp = Boolean(context, VolumeContextKeys.PlainHttp) ?? false,
            Insecure = Boolean(context, VolumeContextKeys.Insecure) ?? false,
            Concurrency = concurrency,
            PullPolicy = policy,
        };
    }

    private static string? Value(IReadOnlyDictionary<string, string> context, string key) =>
        context.TryGetValue(key, out var value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

    /// <summary>The spellings Go's strconv.ParseBool takes, which is what the original ORAS driver read these with.</summary>
    private static bool? Boolean(IReadOnlyDictionary<string, string> context, string key) => Value(context, key) switch
    {
        null => null,
        "true" or "True" or "TRUE" or "t" or "T" or "1" => true,
        "false" or "False" or "FALSE" or "f" or "F" or "0" => false,
        var other => throw Invalid(key, $"{QuotedValue.Of(other)} must be \"true\" or \"false\""),
    };

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex MediaType();

    private static VolumeException Invalid(string key, string problem) =>
        new(FailureKind.InvalidInput, $"volume attribute {QuotedValue.Bare(key)}: {problem}");
}

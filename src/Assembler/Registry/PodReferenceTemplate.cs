using System.Text;
using OrasAssemble.Text;

namespace OrasAssemble.Registry;

/// <summary>
/// A reference that names the pod it is for: <c>registry.example/wf/out:{pod.name}</c>. The placeholders
/// <c>{pod.name}</c>, <c>{pod.namespace}</c> and <c>{pod.uid}</c> are replaced by the pod's values, so the pods of an
/// indexed job push to distinct tags. Anything else in braces is an error, as is a template whose expansion is not a
/// reference, or one that pins a digest (an output is pushed to a tag).
/// </summary>
public sealed class PodReferenceTemplate
{
    public const string PodName = "{pod.name}";
    public const string PodNamespace = "{pod.namespace}";
    public const string PodUid = "{pod.uid}";

    private static readonly string[] Placeholders = [PodName, PodNamespace, PodUid];

    // Values of the shape Kubernetes gives (a DNS label and a UUID) to check a template before the pod exists.
    private static readonly PodIdentity Sample = new("pod", "namespace", "00000000-0000-0000-0000-000000000000");

    private PodReferenceTemplate(string text) => Text = text;

    /// <summary>The template as written.</summary>
    public string Text { get; }

    /// <summary>Whether the template needs the pod's identity (uses any placeholder).</summary>
    public bool NamesThePod => Placeholders.Any(p => Text.Contains(p, StringComparison.Ordinal));

    /// <summary>Parses a template and checks that it expands to a reference for a pod of any name.</summary>
    /// <exception cref="InvalidReferenceException">The template is not usable; the message says why.</exception>
    public static PodReferenceTemplate Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var template = new PodReferenceTemplate(text.Trim());
        _ = template.Expand(Sample);
        return template;
    }

    /// <summary>The reference for one pod.</summary>
    /// <exception cref="InvalidReferenceException">The expansion is not a reference (say, a pod name too long for a tag), or pins a digest.</exception>
    public Reference Expand(PodIdentity pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        var expanded = new StringBuilder(Text.Length + 64);
        var rest = Text.AsSpan();
        while (rest.IndexOfAny('{', '}') is var at and >= 0)
        {
            expanded.Append(rest[..at]);
            var placeholder = PlaceholderAt(rest[at..]);
            if (placeholder is null)
            {
                var end = rest[at..].IndexOf('}');
                var shown = end > 0 ? rest.Slice(at, end + 1).ToString() : rest[at].ToString();
                throw new InvalidReferenceException(
                    Text, $"{QuotedValue.Of(shown)} is not a placeholder; use {PodName}, {PodNamespace} or {PodUid}");
            }

            expanded.Append(placeholder switch
            {
                PodName => Required(pod.Name, PodName),
                PodNamespace => Required(pod.Namespace, PodNamespace),
                _ => Required(pod.Uid, PodUid),
            });
            rest = rest[(at + placeholder.Length)..];
        }

        expanded.Append(rest);
        Reference reference;
        try
        {
            reference = Reference.Parse(expanded.ToString());
        }
        catch (InvalidReferenceException e)
        {
            // Name the template the user wrote rather than its expansion.
            throw new InvalidReferenceException(Text, e.Problem, e);
        }

        return reference.Digest is null
            ? reference
            : throw new InvalidReferenceException(Text, "an output is pushed to a tag, so it must not name a digest");

        string Required(string? value, string placeholder) => string.IsNullOrEmpty(value)
            ? throw new InvalidReferenceException(Text, $"{placeholder} is used but the pod's {placeholder[5..^1]} is not known")
            : value;
    }

    public override string ToString() => Text;

    private static string? PlaceholderAt(ReadOnlySpan<char> text)
    {
        foreach (var placeholder in Placeholders)
        {
            if (text.StartsWith(placeholder, StringComparison.Ordinal))
            {
                return placeholder;
            }
        }

        return null;
    }
}

/// <summary>Who a pod is, as kubelet tells a CSI driver with podInfoOnMount; any part may be unknown.</summary>
public sealed record PodIdentity(string? Name, string? Namespace, string? Uid);

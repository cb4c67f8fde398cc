using System.Text;
using OrasAssemble.Text;

namespace OrasAssemble.Registry;

/// <summary>
/// A reference that names the pod it is for: <c>registry.example/wf/out:{pod.name}</c>. The placeholders
/// <c>{pod.name}</c>, <c>{pod.namespace}</c> and <c>{pod.uid}</c> are replaced by the pod's values, so the pods of an
/// indexed job push to distinct tags. Anything else in braces is an error, as is a template whose expansion is not a
/// reference, or one that pins a digest (an output is pushed to a tag). The webhook checks a template at admission
/// with <see cref="Parse"/>; the node plugin expands it at publish with what kubelet says of the pod.
/// </summary>
public sealed class PodReferenceTemplate
{
    public const string PodName = "{pod.name}";
    public const string PodNamespace = "{pod.namespace}";
    public const string PodUid = "{pod.uid}";

    private static readonly string[] Placeholders = [PodName, PodNamespace, PodUid];

    private static readonly string Known = $"(known: {string.Join(", ", Placeholders)})";

    // Values of the shape Kubernetes gives (a DNS label and a UUID) to check a template before the pod exists.
    private static readonly PodIdentity Sample = new("pod", "namespace", "00000000-0000-0000-0000-000000000000");

    private PodReferenceTemplate(string text) => Text = text;

    /// <summary>The template as written.</summary>
    public string Text { get; }

    /// <summary>Whether the template needs the pod's identity (uses any placeholder).</summary>
    public bool NamesThePod => Placeholders.Any(p => Text.Contains(p, StringComparison.Ordinal));

    /// <summary>Parses a template and checks that it expands to a reference for a pod of any name.</summary>
    /// <exception cref="InvalidReferenceException">The template is not usable; the message quotes it and says why.</exception>
    public static PodReferenceTemplate Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var template = new PodReferenceTemplate(text.Trim());
        _ = template.Expand(Sample, quoteExpansion: false);
        return template;
    }

    /// <summary>The reference for one pod; <c>latest</c> when the template names no tag.</summary>
    /// <exception cref="InvalidReferenceException">
    /// A placeholder's value is not known (kubelet did not pass it), or the expansion is not a reference (say, a pod name
    /// too long for a tag): the message quotes the template and, when they differ, the expansion.
    /// </exception>
    public Reference Expand(PodIdentity pod) => Expand(pod, quoteExpansion: true);

    public override string ToString() => Text;

    private Reference Expand(PodIdentity pod, bool quoteExpansion)
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
                throw new InvalidReferenceException(Text, NotAPlaceholder(rest[at..]));
            }

            expanded.Append(placeholder switch
            {
                PodName => Required(pod.Name, PodName, PodIdentity.NameKey),
                PodNamespace => Required(pod.Namespace, PodNamespace, PodIdentity.NamespaceKey),
                _ => Required(pod.Uid, PodUid, PodIdentity.UidKey),
            });
            rest = rest[(at + placeholder.Length)..];
        }

        expanded.Append(rest);
        var text = expanded.ToString();
        Reference reference;
        try
        {
            reference = Reference.Parse(text);
        }
        catch (InvalidReferenceException e)
        {
            // Name the template the user wrote, and what the pod's values made of it.
            var problem = quoteExpansion && text != Text
                ? $"with the pod's values it reads {QuotedValue.Of(text)}, which is not a reference to push to: {e.Problem}"
                : e.Problem;
            throw new InvalidReferenceException(Text, problem, e);
        }

        return reference.Digest is null
            ? reference
            : throw new InvalidReferenceException(Text, "an output is pushed to a tag (host/repository:tag), so it must not name a digest");

        string Required(string? value, string placeholder, string key) => string.IsNullOrEmpty(value)
            ? throw new InvalidReferenceException(Text, $"uses {placeholder}, but kubelet did not pass {key} (set podInfoOnMount: true on the CSIDriver)")
            : value;
    }

    /// <summary>What is wrong with braces at the start of <paramref name="text"/> that are none of the placeholders.</summary>
    private static string NotAPlaceholder(ReadOnlySpan<char> text)
    {
        if (text[0] == '}')
        {
            return $"has a \"}}\" that closes no placeholder {Known}";
        }

        // "{pod.ip}" is a placeholder misspelt; a "{" followed by another "{" or by nothing closing it is a stray brace.
        var end = text[1..].IndexOfAny('{', '}') is var next and >= 0 ? next + 1 : -1;
        return end > 0 && text[end] == '}'
            ? $"uses the unknown placeholder {text[..(end + 1)].ToString()} {Known}"
            : $"has a \"{{\" that opens no placeholder {Known}";
    }

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

using OrasAssemble.Text;

namespace OrasAssemble.Webhook.Pods;

/// <summary>
/// The parts of a <c>v1.Pod</c> the webhook reads. It is never written back: changes go out as a JSON Patch
/// against the API server's own document, so every field not modelled here stays exactly as it was.
/// </summary>
internal sealed record Pod
{
    public ObjectMeta? Metadata { get; init; }

    public PodSpec? Spec { get; init; }

    /// <summary>
    /// The pod's name for messages: its name, else its <c>generateName</c> prefix followed by <c>*</c>. The API server
    /// checks name lengths only after admission, so the name is bounded here.
    /// </summary>
    public string DisplayName => Metadata?.Name is { Length: > 0 } name
        ? QuotedValue.Bare(name)
        : Metadata?.GenerateName is { Length: > 0 } prefix ? QuotedValue.Bare(prefix) + "*" : "(unnamed)";

    public string? Annotation(string key) =>
        Metadata?.Annotations is { } annotations && annotations.TryGetValue(key, out var value) ? value : null;
}

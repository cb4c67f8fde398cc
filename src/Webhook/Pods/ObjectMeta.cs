namespace OrasAssemble.Webhook.Pods;

internal sealed record ObjectMeta
{
    public string? Name { get; init; }

    public string? GenerateName { get; init; }

    public string? Namespace { get; init; }

    public IReadOnlyDictionary<string, string>? Annotations { get; init; }
}

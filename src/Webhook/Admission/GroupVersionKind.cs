namespace OrasAssemble.Webhook.Admission;

internal sealed record GroupVersionKind
{
    public string? Group { get; init; }

    public string? Version { get; init; }

    public string? Kind { get; init; }

    public bool IsCorePod => string.IsNullOrEmpty(Group) && Version == "v1" && Kind == "Pod";
}

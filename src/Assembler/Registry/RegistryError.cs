namespace OrasAssemble.Registry;

/// <summary>One entry of a registry's <c>errors[]</c> body, e.g. <c>MANIFEST_UNKNOWN</c>.</summary>
internal sealed record RegistryError(string Code, string? Message, string? Detail)
{
    public override string ToString() => string.IsNullOrEmpty(Message) ? Code : $"{Code}: {Message}";
}

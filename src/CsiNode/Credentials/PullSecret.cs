namespace OrasAssemble.CsiNode.Credentials;

/// <summary>An image pull secret as read from the API server: its name and its data, decoded.</summary>
internal sealed record PullSecret(string Name, IReadOnlyDictionary<string, string> Data);

namespace OrasAssemble.Webhook.Mutation;

/// <summary>The pod cannot be wired as its annotations ask; the message says why, for the pod's author.</summary>
internal sealed class PodRejectedException(string message) : Exception(message);

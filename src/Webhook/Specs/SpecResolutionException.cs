namespace OrasAssemble.Webhook.Specs;

/// <summary>A spec could not be resolved; the message says what and why, in words fit for a pod's author.</summary>
internal sealed class SpecResolutionException : Exception
{
    public SpecResolutionException(SpecResolutionFailure failure, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Failure = failure;
    }

    public SpecResolutionFailure Failure { get; }
}

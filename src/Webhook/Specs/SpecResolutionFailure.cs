namespace OrasAssemble.Webhook.Specs;

/// <summary>Whose problem a failed resolution is, which decides whether the failure policy applies.</summary>
internal enum SpecResolutionFailure
{
    /// <summary>The pod names something that is not a usable spec (bad reference, not found, wrong artifact, invalid spec).</summary>
    Invalid,

    /// <summary>The registry could not be asked: unreachable, too slow, refusing the webhook's credentials, failing.</summary>
    Unavailable,
}

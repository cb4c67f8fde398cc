namespace OrasAssemble.Cli.Progress;

/// <summary>One transfer in progress.</summary>
internal interface ITransfer
{
    void Advance(long bytes);

    /// <param name="outcome">What happened, in the past tense: "Uploaded", "Downloaded".</param>
    void Complete(string outcome);
}

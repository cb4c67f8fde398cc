namespace OrasAssemble.Cli.Progress;

/// <summary>Where a command announces its transfers. Safe to call from concurrent transfers.</summary>
internal interface ITransferTracker
{
    /// <param name="action">What happens, as a present participle: "Uploading", "Downloading".</param>
    /// <param name="name">What is transferred, e.g. a file name or a digest.</param>
    ITransfer Start(string action, string name, long size);

    /// <summary>A transfer that was not needed, e.g. a blob the registry already has.</summary>
    void Skip(string name, string reason);
}

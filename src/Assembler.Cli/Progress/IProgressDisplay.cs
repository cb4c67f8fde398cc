namespace OrasAssemble.Cli.Progress;

/// <summary>Shows transfers while some work runs.</summary>
internal interface IProgressDisplay
{
    Task<T> RunAsync<T>(Func<ITransferTracker, Task<T>> work);
}

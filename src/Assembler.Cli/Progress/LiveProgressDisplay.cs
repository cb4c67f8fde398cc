using Spectre.Console;

namespace OrasAssemble.Cli.Progress;

/// <summary>Live progress bars on a terminal, one per transfer, left on screen when done.</summary>
internal sealed class LiveProgressDisplay(IAnsiConsole console) : IProgressDisplay
{
    public Task<T> RunAsync<T>(Func<ITransferTracker, Task<T>> work) =>
        console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(
                new TaskDescriptionColumn { Alignment = Justify.Left },
                new ProgressBarColumn(),
                new PercentageColumn(),
                new DownloadedColumn(),
                new TransferSpeedColumn())
            .StartAsync(context => work(new Tracker(context)));

    private sealed class Tracker(ProgressContext context) : ITransferTracker
    {
        public ITransfer Start(string action, string name, long size)
        {
            // Spectre cannot draw a zero-length bar; an empty file is done as soon as it starts anyway.
            var task = context.AddTask(Markup.Escape($"{action} {name}"), maxValue: Math.Max(size, 1));
            return new Transfer(task, name);
        }

        public void Skip(string name, string reason)
        {
            var task = context.AddTask(Markup.Escape($"{reason} {name}"), maxValue: 1);
            task.Value = 1;
            task.StopTask();
        }
    }

    private sealed class Transfer(ProgressTask task, string name) : ITransfer
    {
        public void Advance(long bytes) => task.Increment(bytes);

        public void Complete(string outcome)
        {
            task.Description = Markup.Escape($"{outcome} {name}");
            task.Value = task.MaxValue;
            task.StopTask();
        }
    }
}

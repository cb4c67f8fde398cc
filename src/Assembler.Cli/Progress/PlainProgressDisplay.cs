namespace OrasAssemble.Cli.Progress;

/// <summary>One line per transfer start and end, for logs and pipes where bars would be noise.</summary>
internal sealed class PlainProgressDisplay(TextWriter output) : IProgressDisplay, ITransferTracker
{
    private readonly Lock gate = new();

    public Task<T> RunAsync<T>(Func<ITransferTracker, Task<T>> work) => work(this);

    public ITransfer Start(string action, string name, long size)
    {
        WriteLine($"{action} {name} ({ByteSize.Format(size)})");
        return new Transfer(this, name);
    }

    public void Skip(string name, string reason) => WriteLine($"{reason} {name}");

    private void WriteLine(string line)
    {
        // Concurrent transfers must not interleave characters of their lines.
        lock (gate)
        {
            output.WriteLine(line);
        }
    }

    private sealed class Transfer(PlainProgressDisplay display, string name) : ITransfer
    {
        public void Advance(long bytes)
        {
        }

        public void Complete(string outcome) => display.WriteLine($"{outcome} {name}");
    }
}

using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace OrasAssemble.CsiNode.Tests.TestSupport;

/// <summary>Keeps every log entry the plugin writes, message and structured values, so tests can read them.</summary>
internal sealed class LogSink : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _entries = new();

    public IReadOnlyList<string> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogSink sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(" ", pairs.Select(p => $"{p.Key}={p.Value}")) : "";
            sink._entries.Enqueue($"{logLevel} {category}[{eventId.Id}] {formatter(state, exception)} | {values} {exception}");
        }
    }
}

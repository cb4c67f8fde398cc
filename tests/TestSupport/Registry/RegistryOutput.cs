using System.Collections.Concurrent;

namespace OrasAssemble.Tests.Fixtures;

/// <summary>
/// Everything a registry process printed, and the requests its access log reported. Lines arrive on the
/// process's reader threads, so every member is safe to call from any thread.
/// </summary>
internal sealed class RegistryOutput
{
    /// <summary>User-Agent prefix of the fixture's own requests, which never show up in <see cref="Requests"/>.</summary>
    public const string FixtureAgentPrefix = "oras-assemble-fixture/";

    private readonly Lock gate = new();
    private readonly List<string> lines = [];
    private readonly List<RegistryRequest> requests = [];
    private readonly ConcurrentDictionary<string, TaskCompletionSource> markers = new(StringComparer.Ordinal);

    public IReadOnlyList<RegistryRequest> Requests
    {
        get
        {
            lock (gate)
            {
                return [.. requests];
            }
        }
    }

    public string Text
    {
        get
        {
            lock (gate)
            {
                return string.Join('\n', lines);
            }
        }
    }

    public void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        RegistryRequest.TryParse(line, out var request);
        lock (gate)
        {
            lines.Add(line);
            if (request is not null && !request.UserAgent.StartsWith(FixtureAgentPrefix, StringComparison.Ordinal))
            {
                requests.Add(request);
            }
        }

        if (request is not null && markers.TryRemove(request.UserAgent, out var marker))
        {
            marker.TrySetResult();
        }
    }

    public void ClearRequests()
    {
        lock (gate)
        {
            requests.Clear();
        }
    }

    /// <summary>
    /// Registers a User-Agent whose access-log line completes the returned task. Used to know that every
    /// line written before it has been read.
    /// </summary>
    public (string Agent, Task Seen) NewMarker()
    {
        var agent = FixtureAgentPrefix + "sync-" + Guid.NewGuid().ToString("N");
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        markers[agent] = seen;
        return (agent, seen.Task);
    }

    public void ForgetMarker(string agent) => markers.TryRemove(agent, out _);
}

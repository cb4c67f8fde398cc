using System.Net;
using System.Net.Sockets;

namespace OrasAssemble.Webhook.Tests.TestSupport;

/// <summary>
/// A "registry" that accepts TCP connections and never says anything: the failure a timeout exists for, and one
/// a refused connection does not exercise.
/// </summary>
internal sealed class BlackHoleServer : IAsyncDisposable
{
    private readonly TcpListener listener;
    private readonly List<Socket> held = [];
    private readonly CancellationTokenSource stop = new();
    private readonly Task accepting;

    public BlackHoleServer()
    {
        listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        Host = $"127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";
        accepting = AcceptAsync();
    }

    /// <summary><c>127.0.0.1:PORT</c>.</summary>
    public string Host { get; }

    public int Accepted
    {
        get
        {
            lock (held)
            {
                return held.Count;
            }
        }
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var socket = await listener.AcceptSocketAsync(stop.Token);
                lock (held)
                {
                    held.Add(socket);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (SocketException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        await accepting;
        lock (held)
        {
            foreach (var socket in held)
            {
                socket.Dispose();
            }
        }

        stop.Dispose();
    }
}

using System.Net.Sockets;

namespace OrasAssemble.CsiNode.Transport;

/// <summary>A unix socket path to serve on, given as <c>unix:///csi/csi.sock</c>, <c>unix:/csi/csi.sock</c> or a path.</summary>
internal sealed record UnixSocketEndpoint(string Path)
{
    public static UnixSocketEndpoint Parse(string endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var path = endpoint.StartsWith("unix://", StringComparison.Ordinal) ? endpoint["unix://".Length..]
            : endpoint.StartsWith("unix:", StringComparison.Ordinal) ? endpoint["unix:".Length..]
            : endpoint;
        if (path.Length == 0 || !System.IO.Path.IsPathRooted(path))
        {
            throw new FormatException($"endpoint \"{endpoint}\" is not an absolute unix socket path (expected unix:///path/to/csi.sock)");
        }

        return new UnixSocketEndpoint(System.IO.Path.GetFullPath(path));
    }

    /// <summary>
    /// Makes the path ready to listen on: creates its directory, and removes a socket a dead process left behind.
    /// A socket that still accepts connections belongs to a live server and is left alone.
    /// </summary>
    /// <exception cref="IOException">Another process serves the path, or it is a directory.</exception>
    public void PrepareToListen()
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        if (Directory.Exists(Path))
        {
            throw new IOException($"{Path} is a directory, not a socket");
        }

        if (!File.Exists(Path))
        {
            return;
        }

        using (var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            try
            {
                probe.Connect(new UnixDomainSocketEndPoint(Path));
                throw new IOException($"another process is serving {Path}");
            }
            catch (SocketException)
            {
                // Nobody listens: what is there is stale.
            }
        }

        File.Delete(Path);
    }
}

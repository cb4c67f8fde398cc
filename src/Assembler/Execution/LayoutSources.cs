using OrasAssemble.Layout;

namespace OrasAssemble.Execution;

/// <summary>
/// The OCI layouts one assembly reads sources from, each opened once (read-only: never created) and closed with the
/// assembly.
/// </summary>
internal sealed class LayoutSources(string? baseDirectory) : IDisposable
{
    private readonly Dictionary<string, Task<OciLayoutStore>> _open = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <param name="where">The spec path that named the layout, for messages.</param>
    /// <exception cref="AssemblyException">Layout sources are refused here, or the directory is not there.</exception>
    public Task<OciLayoutStore> OpenAsync(string where, OciLayoutReference layout, CancellationToken cancellationToken)
    {
        if (baseDirectory is null)
        {
            throw new AssemblyException(where, $"{layout} names a local OCI layout; only registries can be read here");
        }

        var directory = layout.FullDirectory(baseDirectory);
        if (!Directory.Exists(directory))
        {
            throw new AssemblyException(where, $"OCI layout directory {directory} (from {layout}) does not exist");
        }

        lock (_lock)
        {
            if (!_open.TryGetValue(directory, out var store))
            {
                store = OciLayoutStore.OpenAsync(directory, new OciLayoutStoreOptions { CreateIfMissing = false }, cancellationToken);
                _open[directory] = store;
            }

            return store;
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var store in _open.Values.Where(s => s.IsCompletedSuccessfully))
            {
                store.Result.Dispose();
            }

            _open.Clear();
        }
    }
}

using OrasAssemble.Spec;

namespace OrasAssemble.Cli.Specs;

/// <summary>Reads an assembly spec file named on the command line, as validate, push and assemble all do.</summary>
internal static class SpecFile
{
    /// <summary>Whether an assemble argument names a local spec file rather than a reference to a spec artifact.</summary>
    public static bool IsSpecFile(string argument) =>
        File.Exists(argument)
        && (argument.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase)
            || argument.EndsWith(".yml", StringComparison.OrdinalIgnoreCase)
            || argument.EndsWith(".json", StringComparison.OrdinalIgnoreCase));

    /// <summary>Reads and validates <paramref name="path"/>; every problem names the file as the user wrote it.</summary>
    /// <exception cref="UsageException">The file does not exist or cannot be read.</exception>
    /// <exception cref="InvalidSpecException">The spec has errors.</exception>
    public static async Task<AssemblySpec> LoadAsync(string path, CancellationToken cancellationToken)
    {
        var document = await ReadAsync(path, cancellationToken).ConfigureAwait(false);
        return document.GetValidSpec(path);
    }

    /// <exception cref="UsageException">The file does not exist or cannot be read.</exception>
    public static async Task<SpecDocument> ReadAsync(string path, CancellationToken cancellationToken)
    {
        if (Directory.Exists(path))
        {
            throw new UsageException($"{path} is a directory, not an assembly spec file");
        }

        if (!File.Exists(path))
        {
            throw new UsageException($"{path}: no such file");
        }

        try
        {
            return await SpecDocument.LoadFileAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{path}: cannot be read: {e.Message}", e);
        }
    }
}

using System.CommandLine;
using OrasAssemble.Spec;
using OrasAssemble.Spec.Parsing;
using OrasAssemble.Spec.Validation;

namespace OrasAssemble.Cli.Specs;

/// <summary>Reads an assembly spec file named on the command line, as validate, push and assemble all do.</summary>
internal static class SpecFile
{
    private static readonly string[] Extensions = [".yaml", ".yml", ".json"];

    /// <summary>The positional argument naming a spec file, alike in every verb that takes one.</summary>
    public static Argument<string> CreateArgument() => new("file") { Description = "The assembly spec (YAML or JSON)", HelpName = "assembly.yaml" };

    /// <summary>
    /// Whether an argument that may be a file or a reference names a local spec file: one that exists with a spec
    /// file's extension, or (so that a typo is reported as a missing file rather than looked up on Docker Hub) a path
    /// with such an extension whose first component cannot be a registry host.
    /// </summary>
    public static bool NamesSpecFile(string argument)
    {
        ArgumentNullException.ThrowIfNull(argument);
        if (!Extensions.Any(e => argument.EndsWith(e, StringComparison.OrdinalIgnoreCase)))
        {
            return false;
        }

        if (File.Exists(argument))
        {
            return true;
        }

        var slash = argument.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return true;
        }

        var first = argument[..slash];
        return first is "." or ".." || !(first.Contains('.', StringComparison.Ordinal) || first.Contains(':', StringComparison.Ordinal) || first == "localhost");
    }

    /// <summary>Reads and validates <paramref name="path"/>; every problem names the file as the user wrote it.</summary>
    /// <exception cref="UsageException">The file does not exist or cannot be read.</exception>
    /// <exception cref="InvalidSpecException">The spec has errors.</exception>
    public static async Task<ValidSpec> LoadAsync(string path, CancellationToken cancellationToken)
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

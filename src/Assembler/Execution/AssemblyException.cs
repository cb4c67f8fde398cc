namespace OrasAssemble.Execution;

/// <summary>
/// A spec could not be carried out: a source or a step failed. The message starts with the spec path of what
/// failed (<c>sources.app</c>, <c>steps[2].copy</c>), the way validation errors name fields.
/// </summary>
internal sealed class AssemblyException(string path, string problem, Exception? inner = null)
    : Exception($"{path}: {problem}", inner)
{
    public string Path { get; } = path;

    public string Problem { get; } = problem;
}

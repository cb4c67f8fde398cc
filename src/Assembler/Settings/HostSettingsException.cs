namespace OrasAssemble.Settings;

/// <summary>A host settings file could not be used. Carries every problem found, each with its position.</summary>
public sealed class HostSettingsException : Exception
{
    public HostSettingsException(string fileName, IReadOnlyList<HostSettingsError> errors)
        : base(Describe(fileName, errors))
    {
        FileName = fileName;
        Errors = errors;
    }

    public string FileName { get; }

    public IReadOnlyList<HostSettingsError> Errors { get; }

    private static string Describe(string fileName, IReadOnlyList<HostSettingsError> errors) => errors.Count switch
    {
        0 => $"{fileName}: invalid host settings",
        1 => errors[0].ToString(),
        _ => $"{fileName}: {errors.Count} problems:{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", errors),
    };
}

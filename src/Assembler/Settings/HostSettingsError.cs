namespace OrasAssemble.Settings;

/// <summary>One problem in a host settings file, at a 1-based line and column (0 when there is no position).</summary>
public sealed record HostSettingsError(string FileName, int Line, int Column, string Message)
{
    public override string ToString() => Line > 0 ? $"{FileName}:{Line}:{Column}: {Message}" : $"{FileName}: {Message}";
}

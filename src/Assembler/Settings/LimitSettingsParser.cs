using OrasAssemble.Layers;
using YamlDotNet.RepresentationModel;

namespace OrasAssemble.Settings;

/// <summary>
/// The one reader of the settings file's <c>limits:</c> section, for every host that takes the file: the node plugin
/// bounds each volume with it, the CLI each <c>assemble</c>. Other sections belong to other readers and are skipped.
/// </summary>
public static class LimitSettingsParser
{
    public const string SectionKey = "limits";

    private static readonly string[] Keys = ["concurrency", "maxConcurrency", "maxFileBytes", "maxTotalBytes", "maxEntries", "publishWait"];

    /// <summary>The <c>limits:</c> section of a whole settings document; the defaults when it has none.</summary>
    /// <exception cref="HostSettingsException">The text is not YAML, or the section is wrong; every problem is in the exception.</exception>
    public static LimitSettings Parse(string yaml, string fileName) => Read(SettingsFile.Parse(yaml, fileName));

    /// <summary>The <c>limits:</c> section of a settings file; the defaults when it has none.</summary>
    /// <exception cref="HostSettingsException">The section is wrong; every problem is in the exception.</exception>
    public static LimitSettings Read(SettingsFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var errors = new List<HostSettingsError>();
        var section = file.Section(SectionKey);
        var limits = section is null ? LimitSettings.Default : Read(section, new SettingsValueReader(file.FileName, errors));
        return errors.Count > 0 ? throw new HostSettingsException(file.FileName, errors) : limits;
    }

    /// <summary>Reads the section's value node, reporting each problem through <paramref name="values"/>.</summary>
    public static LimitSettings Read(YamlNode node, SettingsValueReader values)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(values);
        var settings = new LimitSettings();
        var extraction = ExtractionLimits.Default;
        foreach (var (key, value) in values.Entries(node, SectionKey, Keys))
        {
            var path = SectionKey + "." + key;
            switch (key)
            {
                case "concurrency":
                    settings = settings with { Concurrency = (int)values.Integer(value, path, 1, 64) };
                    break;
                case "maxConcurrency":
                    settings = settings with { MaxConcurrency = (int)values.Integer(value, path, 1, 64) };
                    break;
                case "maxFileBytes":
                    extraction = extraction with { MaxFileBytes = values.Quantity(value, path, allowZero: false) };
                    break;
                case "maxTotalBytes":
                    extraction = extraction with { MaxTotalBytes = values.Quantity(value, path, allowZero: false) };
                    break;
                case "maxEntries":
                    extraction = extraction with { MaxEntries = (int)values.Integer(value, path, 1, int.MaxValue) };
                    break;
                default:
                    settings = settings with { PublishWait = values.Duration(value, path, TimeSpan.FromSeconds(1)) };
                    break;
            }
        }

        if (settings.Concurrency > settings.MaxConcurrency)
        {
            values.Error(node, $"limits.concurrency ({settings.Concurrency}) is more than limits.maxConcurrency ({settings.MaxConcurrency})");
        }

        return settings with { Extraction = extraction };
    }
}

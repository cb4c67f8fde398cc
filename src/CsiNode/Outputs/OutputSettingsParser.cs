using OrasAssemble.Settings;
using YamlDotNet.RepresentationModel;

namespace OrasAssemble.CsiNode.Outputs;

/// <summary>Reads the node config's <c>outputs:</c> section with the settings file's value grammar.</summary>
internal static class OutputSettingsParser
{
    public static readonly string[] Keys = ["maxBytes", "maxFiles", "parallelism", "retryInitial", "retryMax", "retryRefused", "maxAge"];

    public static OutputSettings Read(YamlNode node, SettingsValueReader values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var settings = new OutputSettings();
        YamlNode? retryMaxNode = null;
        foreach (var (key, value) in values.Entries(node, "outputs", Keys))
        {
            settings = key switch
            {
                "maxBytes" => settings with { MaxBytes = values.Quantity(value, "outputs.maxBytes", allowZero: false) },
                "maxFiles" => settings with { MaxFiles = values.Integer(value, "outputs.maxFiles", 1, 100_000_000) },
                "parallelism" => settings with { Parallelism = (int)values.Integer(value, "outputs.parallelism", 1, 16) },
                "retryInitial" => settings with { RetryInitial = values.Duration(value, "outputs.retryInitial", TimeSpan.FromMilliseconds(100)) },
                "retryMax" => settings with { RetryMax = values.Duration(value, "outputs.retryMax", TimeSpan.FromMilliseconds(100)) },
                "retryRefused" => settings with { RetryRefused = values.Duration(value, "outputs.retryRefused", TimeSpan.FromSeconds(1)) },
                _ => settings with { MaxAge = values.Duration(value, "outputs.maxAge", TimeSpan.FromSeconds(1)) },
            };
            if (key == "retryMax")
            {
                retryMaxNode = value;
            }
        }

        if (retryMaxNode is not null && settings.RetryMax < settings.RetryInitial)
        {
            values.Error(retryMaxNode, "outputs.retryMax must not be shorter than outputs.retryInitial");
        }

        return settings;
    }
}

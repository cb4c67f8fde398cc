using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using OrasAssemble.Execution;

namespace OrasAssemble.Cli.Commands;

/// <summary>What <c>assemble --output json</c> prints: the tree, how this call came by it and what it was built from.</summary>
/// <param name="Origin"><c>built</c>, <c>cached</c>, or <c>pinned</c> (found by what the spec last resolved to, no source resolved).</param>
/// <param name="SkippedSpecialFiles">Device nodes and FIFOs the sources held and the tree leaves out; null unless this call built the tree.</param>
/// <param name="OwnersKept">Whether entries have their sources' owners (false when built unprivileged); null unless this call built the tree.</param>
/// <param name="Entries">The files, directories and links the tree holds; null unless this call built the tree.</param>
internal sealed record AssembleReport(
    string Key, string Tree, string Out, string Origin, IReadOnlyList<AssembleReport.Source> Sources, long? SkippedSpecialFiles, bool? OwnersKept,
    TreeEntryCounts? Entries)
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static AssembleReport Of(AssembledTree tree, string outPath) => new(
        tree.Key,
        tree.Path,
        outPath,
        tree.Origin.ToString().ToLowerInvariant(),
        tree.Sources.Select(s => new Source(s.Name, s.Reference, s.ManifestDigest, s.IsImage, s.LayerDigests, s.LayerBytes)).ToList(),
        tree.Built ? tree.SkippedSpecialFiles : null,
        tree.Built ? !tree.OwnersNotKept : null,
        tree.Built ? tree.Entries : null);

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>A source as this call resolved it: its manifest and the layers read from it.</summary>
    internal sealed record Source(string Name, string Reference, string ManifestDigest, bool Image, IReadOnlyList<string> Layers, long LayerBytes);
}

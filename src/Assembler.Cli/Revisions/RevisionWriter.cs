using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using OrasAssemble.SpecArtifacts;

namespace OrasAssemble.Cli.Revisions;

/// <summary>Renders spec revisions for <c>rebase</c> and <c>history</c>: one line each for people and scripts, or JSON.</summary>
internal static class RevisionWriter
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary><c>digest base created</c>, separated by single spaces (no field holds one); <c>-</c> for a missing field.</summary>
    public static void WriteLine(SpecRevision revision, TextWriter output) =>
        output.WriteLine($"{revision.Descriptor.Digest} {revision.Base ?? "-"} {revision.Created ?? "-"}");

    public static void WriteJson(object report, TextWriter output) => output.WriteLine(JsonSerializer.Serialize(report, JsonOptions));

    public static RevisionSummary Summarise(SpecRevision revision) =>
        new(revision.Descriptor.Digest, revision.Descriptor.Size, revision.Base, revision.Created, revision.Subject?.Digest);
}

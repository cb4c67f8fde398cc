using System.Text.Json.Nodes;
using OrasAssemble.Cli.Targets;
using OrasAssemble.Oci;

namespace OrasAssemble.Cli.Inspection;

/// <summary>
/// Adds a kind-specific section to <c>inspect</c> for artifacts it knows, e.g. an assembly spec (its base, mount path
/// and sources). The inspector is given its providers; the first that claims a manifest describes it.
/// </summary>
internal interface IArtifactDetailProvider
{
    /// <summary>Heading of the section in text output, e.g. "Assembly spec".</summary>
    string Heading { get; }

    bool Describes(Manifest manifest);

    /// <summary>The section's content; nested objects and arrays are allowed.</summary>
    Task<JsonObject> DescribeAsync(ArtifactTarget target, Manifest manifest, CancellationToken cancellationToken);
}

using System.Text.RegularExpressions;
using OrasAssemble.Registry;

namespace OrasAssemble.Spec.Validation;

/// <summary>Rules for the names and identifiers a spec contains, each returning what is wrong or null.</summary>
internal static partial class NameRules
{
    public const int MaxSourceName = 63;

    public static string? SourceNameProblem(string name) =>
        name.Length <= MaxSourceName && SourceName().IsMatch(name)
            ? null
            : $"source name \"{SpecPath.Show(name)}\" must be 1 to {MaxSourceName} lowercase letters, digits and '-', starting and ending with a letter or digit";

    public static string? ReferenceProblem(string reference)
    {
        try
        {
            Reference.Parse(reference);
            return null;
        }
        catch (InvalidReferenceException invalid)
        {
            return invalid.Message;
        }
    }

    /// <summary>A source may also name a local OCI layout (<c>oci-layout://dir[:tag|@digest]</c>); a base may not.</summary>
    public static string? SourceReferenceProblem(string reference)
    {
        if (!Layout.OciLayoutReference.IsLayoutReference(reference))
        {
            return ReferenceProblem(reference);
        }

        try
        {
            Layout.OciLayoutReference.Parse(reference);
            return null;
        }
        catch (InvalidReferenceException invalid)
        {
            return invalid.Message;
        }
    }

    public static string? MediaTypeProblem(string mediaType) =>
        Oci.MediaTypes.IsWellFormed(mediaType)
            ? null
            : $"\"{SpecPath.Show(mediaType)}\" is not a media type; write type/subtype without parameters, such as application/vnd.oci.image.layer.v1.tar";

    public static string? AnnotationKeyProblem(string key) =>
        key.Length == 0 ? "an annotation key is empty" : key.Any(char.IsControl) ? "an annotation key contains a control character" : null;

    // RFC 1123 label, as Kubernetes names are.
    [GeneratedRegex("^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\\z", RegexOptions.CultureInvariant)]
    private static partial Regex SourceName();
}

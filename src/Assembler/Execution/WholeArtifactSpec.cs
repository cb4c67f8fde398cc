using OrasAssemble.Registry;
using OrasAssemble.Spec;
using OrasAssemble.Spec.Model;
using OrasAssemble.Spec.Parsing;
using OrasAssemble.Spec.Validation;

namespace OrasAssemble.Execution;

/// <summary>
/// The spec that extracts one artifact or image whole, as the original ORAS CSI driver mounted any reference: every
/// selected layer of the source, read by the usual rules (images: layers in order with whiteouts; artifacts: files and
/// folders by title), copied to the root of the tree. Going through a spec gives such mounts the executor's cache,
/// single flight and verification for free.
/// </summary>
public static class WholeArtifactSpec
{
    /// <summary>The only source's name; it appears in executor error messages (<c>sources.artifact: ...</c>).</summary>
    public const string SourceName = "artifact";

    /// <summary>
    /// What <see cref="Create"/> would refuse in <paramref name="mediaTypes"/>, for a caller that names them its own way
    /// and checks them before it reads what a reference names.
    /// </summary>
    public static IReadOnlyList<SpecError> ValidateMediaTypes(IReadOnlyList<string> mediaTypes)
    {
        ArgumentNullException.ThrowIfNull(mediaTypes);
        return SpecValidator.ValidateMediaTypes($"sources.{SourceName}.mediaTypes", mediaTypes);
    }

    /// <param name="reference">
    /// The artifact or image. Pin it by digest when it was already resolved, so the spec (and with it the cached tree)
    /// changes exactly when the content does.
    /// </param>
    /// <param name="mediaTypes">Only layers of these media types are extracted; empty means all.</param>
    /// <exception cref="InvalidSpecException">A media type is malformed or listed twice; the errors name it.</exception>
    public static ValidSpec Create(Reference reference, IReadOnlyList<string> mediaTypes)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(mediaTypes);

        // The reference is parsed already and the rest is fixed: only the media types come from outside.
        var errors = ValidateMediaTypes(mediaTypes);
        if (errors.Count > 0)
        {
            throw new InvalidSpecException(errors);
        }

        var source = new SourceSpec { Ref = reference.ToString(), MediaTypes = mediaTypes };
        var copy = new CopyStep { From = SourceName, Path = SpecPath.Root, To = SpecPath.Root };
        var model = new AssemblySpec
        {
            Metadata = new SpecMetadata { Name = "whole-artifact" },
            Sources = new Dictionary<string, SourceSpec>(StringComparer.Ordinal) { [SourceName] = source },
            Steps = [copy],
        };
        ValidStep[] steps =
        [
            new ValidCopyStep(SourceName, SpecPath.Root, [], [], SpecPath.Root, IntoDirectory: true, Mode: null, Owner: null, Overwrite: false, CopyLinks: true),
        ];
        return new ValidSpec(model, SpecJson.Serialize(model), [new ValidSource(SourceName, source, reference, layout: null, platform: null)], steps, basePlatform: null);
    }
}

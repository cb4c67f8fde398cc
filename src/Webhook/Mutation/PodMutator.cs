using System.Text.Json.Nodes;
using OrasAssemble.Registry;
using OrasAssemble.Text;
using OrasAssemble.Webhook.Patching;
using OrasAssemble.Webhook.Pods;
using OrasAssemble.Webhook.Specs;

namespace OrasAssemble.Webhook.Mutation;

/// <summary>
/// Works out the JSON Patch that wires a resolved spec into a pod: one read-only CSI inline volume, a read-only
/// mount in each chosen container and, when asked, the spec's base as those containers' image. Pure: it reads the
/// pod and the spec and returns operations; a pod that already has everything gets none.
/// </summary>
internal sealed class PodMutator
{
    /// <summary>The name of the volume the webhook adds; a pod may not use it for anything else.</summary>
    public const string VolumeName = "oras-assemble";

    /// <summary>The volume attribute that names what the node plugin assembles.</summary>
    public const string ReferenceAttribute = "oras.artifact.reference";

    public const string DefaultDriverName = "csi.oras.land";

    public const string ContainersField = "containers";
    public const string InitContainersField = "initContainers";

    public PodMutator(string driverName = DefaultDriverName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(driverName);
        DriverName = driverName;
    }

    public string DriverName { get; }

    /// <summary>
    /// Checks what can be checked before the spec is fetched and says which reference to resolve: the one in the
    /// annotation, or, for a pod that already carries this spec's volume (admitted before, or written that way),
    /// the pinned reference in that volume, so a second admission sees the same revision as the first.
    /// </summary>
    /// <exception cref="PodRejectedException">A named container is missing, or the volume name is taken.</exception>
    public Reference ReferenceToResolve(Pod pod, AssemblyRequest request)
    {
        _ = Choose(pod, request);
        return ExistingVolumeReference(pod, request) ?? request.Spec;
    }

    /// <summary>Whether <see cref="Mutate"/> adds the volume, which is when a pull secret is chosen for it.</summary>
    /// <exception cref="PodRejectedException">The volume name is taken.</exception>
    public bool AddsVolume(Pod pod, AssemblyRequest request) => ExistingVolumeReference(pod, request) is null;

    /// <summary>The operations that wire <paramref name="spec"/> into <paramref name="pod"/>; empty when it already is.</summary>
    /// <param name="pullSecret">
    /// The secret the added volume names in <c>nodePublishSecretRef</c>, or null for none. A volume the pod already has
    /// is left as it is, with or without one.
    /// </param>
    /// <exception cref="PodRejectedException">The pod cannot be wired as asked (conflicts, no mount path, no base to rebase onto).</exception>
    public IReadOnlyList<PatchOperation> Mutate(Pod pod, AssemblyRequest request, ResolvedSpec spec, string? pullSecret = null)
    {
        var chosen = Choose(pod, request);
        var hasVolume = ExistingVolumeReference(pod, request) is not null;
        var mountPath = request.MountPath ?? spec.MountPath ?? throw new PodRejectedException(
            $"no mount path: spec {spec.Reference} has no mount.path and the pod has no {PodAnnotations.MountPath} annotation");
        if (request.Rebase && spec.BaseImage is null)
        {
            throw new PodRejectedException($"{PodAnnotations.Rebase} is \"true\" but spec {spec.Reference} has no base image to rebase onto");
        }

        var operations = new List<PatchOperation>();
        if (!hasVolume)
        {
            operations.Add(AddToList(pod.Spec?.Volumes is not null, ["spec", "volumes"], VolumeNode(spec.Reference, pullSecret)));
        }

        foreach (var target in chosen)
        {
            var mounts = target.Container.VolumeMounts;
            var atPath = mounts?.FirstOrDefault(m => SamePath(m.MountPath, mountPath));
            if (atPath is null)
            {
                operations.Add(AddToList(mounts is not null, ["spec", target.Field, target.Index, "volumeMounts"], MountNode(mountPath)));
            }
            else if (atPath.Name != VolumeName)
            {
                throw new PodRejectedException(
                    $"{target.Describe()} already mounts volume {QuotedValue.Of(atPath.Name)} at {QuotedValue.Bare(atPath.MountPath)}; choose another path with " +
                    $"{PodAnnotations.MountPath}, or leave the container out with {PodAnnotations.Containers}");
            }

            if (request.Rebase && target.Container.Image != spec.BaseImage)
            {
                var path = JsonPointer.Create("spec", target.Field, target.Index, "image");
                operations.Add(target.Container.Image is null
                    ? PatchOperation.Add(path, JsonValue.Create(spec.BaseImage))
                    : PatchOperation.Replace(path, JsonValue.Create(spec.BaseImage)));
            }
        }

        if (operations.Count > 0 || pod.Annotation(PodAnnotations.SpecDigest) != spec.Digest)
        {
            // The spec annotation is present, so the annotations object exists; "add" sets or overwrites the member.
            operations.Add(PatchOperation.Add(JsonPointer.Create("metadata", "annotations", PodAnnotations.SpecDigest), JsonValue.Create(spec.Digest)));
        }

        return operations;
    }

    /// <summary>The containers that get the mount: those named by the annotation, else every app container.</summary>
    private static List<ChosenContainer> Choose(Pod pod, AssemblyRequest request)
    {
        var containers = Indexed(ContainersField, pod.Spec?.Containers);
        var initContainers = Indexed(InitContainersField, pod.Spec?.InitContainers);
        if (request.Containers is null)
        {
            return containers.Count > 0 ? containers : throw new PodRejectedException("the pod has no containers to mount the assembled tree in");
        }

        var all = containers.Concat(initContainers).ToList();
        var missing = request.Containers.Where(name => all.All(c => c.Name != name)).ToList();
        if (missing.Count > 0)
        {
            var have = containers.Count == 0 ? "none" : string.Join(", ", containers.Select(c => QuotedValue.Bare(c.Name)));
            var haveInit = initContainers.Count == 0 ? "" : $"; init containers: {string.Join(", ", initContainers.Select(c => QuotedValue.Bare(c.Name)))}";
            throw new PodRejectedException(
                $"annotation {PodAnnotations.Containers} names {Quote(missing)}, which the pod does not have (containers: {have}{haveInit})");
        }

        return all.Where(c => request.Containers.Contains(c.Name, StringComparer.Ordinal)).ToList();

        static string Quote(List<string> names) => string.Join(", ", names.Select(QuotedValue.Of));
    }

    private static List<ChosenContainer> Indexed(string field, IReadOnlyList<Container>? list) =>
        list is null ? [] : list.Select((c, i) => new ChosenContainer(field, i, c)).ToList();

    /// <summary>
    /// The pinned reference of a volume this webhook added for the same spec, or null when the pod has no volume of
    /// that name. Any other use of the name is a conflict.
    /// </summary>
    private Reference? ExistingVolumeReference(Pod pod, AssemblyRequest request)
    {
        var volume = pod.Spec?.Volumes?.FirstOrDefault(v => v.Name == VolumeName);
        if (volume is null)
        {
            return null;
        }

        if (volume.Csi?.Driver != DriverName
            || volume.Csi.VolumeAttributes is not { } attributes
            || !attributes.TryGetValue(ReferenceAttribute, out var text))
        {
            throw new PodRejectedException(
                $"the pod already has a volume named \"{VolumeName}\" (a {volume.SourceKind} volume), the name the webhook gives the " +
                "assembled tree; rename that volume");
        }

        if (!Reference.TryParse(text, out var present) || present.Digest is null)
        {
            throw new PodRejectedException(
                $"the pod already has volume \"{VolumeName}\" for {QuotedValue.Of(text)}, which is not a reference pinned by digest; " +
                "remove the volume and let the webhook add it");
        }

        if (!SameSpec(request.Spec, present))
        {
            throw new PodRejectedException(
                $"the pod already has volume \"{VolumeName}\" for {QuotedValue.Bare(text)}, but annotation {PodAnnotations.Spec} asks for {request.Spec}; " +
                "remove the volume or the annotation");
        }

        return present;
    }

    // The volume holds what the annotation named, pinned: same repository, and the same digest or tag.
    private static bool SameSpec(Reference asked, Reference present) =>
        asked.Registry == present.Registry
        && asked.Repository == present.Repository
        && (asked.Digest is not null ? asked.Digest == present.Digest : asked.Tag == present.Tag);

    private static bool SamePath(string? a, string b) => a is not null && Trim(a) == Trim(b);

    // Kubernetes compares mount paths as strings; "/app/" and "/app" are still the same directory.
    private static string Trim(string path) => path.Length > 1 ? path.TrimEnd('/') : path;

    /// <summary>Appends to a list, or creates it with one element when the pod does not have it.</summary>
    private static PatchOperation AddToList(bool exists, IEnumerable<object> path, JsonNode element) => exists
        ? PatchOperation.Add(JsonPointer.Create([.. path, JsonPointer.EndOfArray]), element)
        : PatchOperation.Add(JsonPointer.Create(path), new JsonArray(element));

    private JsonObject VolumeNode(Reference pinned, string? pullSecret)
    {
        var csi = new JsonObject
        {
            ["driver"] = DriverName,
            ["readOnly"] = true,
            ["volumeAttributes"] = new JsonObject
            {
                [ReferenceAttribute] = pinned.ToString(),
            },
        };
        if (pullSecret is not null)
        {
            // kubelet reads this secret from the pod's namespace and hands its data to the node plugin.
            csi["nodePublishSecretRef"] = new JsonObject { ["name"] = pullSecret };
        }

        return new JsonObject { ["name"] = VolumeName, ["csi"] = csi };
    }

    private static JsonObject MountNode(string mountPath) => new()
    {
        ["name"] = VolumeName,
        ["mountPath"] = mountPath,
        ["readOnly"] = true,
    };
}

using System.Globalization;
using System.Text.Json.Nodes;
using OrasAssemble.Registry;
using OrasAssemble.Text;
using OrasAssemble.Webhook.Patching;
using OrasAssemble.Webhook.Pods;
using OrasAssemble.Webhook.Specs;

namespace OrasAssemble.Webhook.Mutation;

/// <summary>
/// Works out the JSON Patch that wires a pod: for a resolved spec, one read-only CSI inline volume, a read-only mount
/// in each chosen container and, when asked, the spec's base as those containers' image; for each output, one
/// writable CSI inline volume and a writable mount in each chosen container. Pure: it reads the pod and the spec and
/// returns operations; a pod that already has everything gets none.
/// </summary>
internal sealed class PodMutator
{
    /// <summary>The name of the volume the webhook adds for the spec; a pod may not use it for anything else.</summary>
    public const string VolumeName = "oras-assemble";

    /// <summary>The prefix of the output volumes' names: the first pair of the outputs annotation is <c>oras-assemble-output-0</c>.</summary>
    public const string OutputVolumePrefix = "oras-assemble-output-";

    /// <summary>The volume attribute that names what the node plugin assembles.</summary>
    public const string ReferenceAttribute = "oras.artifact.reference";

    /// <summary>The volume attribute that names where the node plugin pushes an output volume's contents.</summary>
    public const string OutputReferenceAttribute = "oras.output.reference";

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
    /// the pinned reference in that volume, so a second admission sees the same revision as the first. Null for a pod
    /// that asks only for outputs.
    /// </summary>
    /// <exception cref="PodRejectedException">A named container is missing, or a volume name is taken.</exception>
    public Reference? ReferenceToResolve(Pod pod, AssemblyRequest request)
    {
        _ = Choose(pod, request);
        _ = ExistingOutputVolumes(pod, request);
        return request.Spec is null ? null : ExistingVolumeReference(pod, request.Spec) ?? request.Spec;
    }

    /// <summary>Whether <see cref="Mutate"/> adds a volume, which is when a pull secret is chosen for it.</summary>
    /// <exception cref="PodRejectedException">A volume name is taken.</exception>
    public bool AddsVolume(Pod pod, AssemblyRequest request) =>
        (request.Spec is not null && ExistingVolumeReference(pod, request.Spec) is null)
        || ExistingOutputVolumes(pod, request).Count < request.Outputs.Count;

    /// <summary>The operations that wire <paramref name="spec"/> and the outputs into <paramref name="pod"/>; empty when it already is.</summary>
    /// <param name="spec">The resolved spec; null exactly when the request names none.</param>
    /// <param name="pullSecret">
    /// The secret the added volumes name in <c>nodePublishSecretRef</c>, or null for none. A volume the pod already has
    /// is left as it is, with or without one.
    /// </param>
    /// <exception cref="PodRejectedException">The pod cannot be wired as asked (conflicts, no mount path, no base to rebase onto).</exception>
    public IReadOnlyList<PatchOperation> Mutate(Pod pod, AssemblyRequest request, ResolvedSpec? spec, string? pullSecret = null)
    {
        if ((request.Spec is null) != (spec is null))
        {
            throw new ArgumentException("a spec is resolved exactly when the request names one", nameof(spec));
        }

        var chosen = Choose(pod, request);
        var patch = new PodPatch(pod);
        var specMountPath = spec is null ? null : AddSpec(pod, request, spec, chosen, patch, pullSecret);

        var existing = ExistingOutputVolumes(pod, request);
        for (var i = 0; i < request.Outputs.Count; i++)
        {
            var output = request.Outputs[i];
            var name = OutputVolumeName(i);
            if (specMountPath is not null && SamePath(output.MountPath, specMountPath))
            {
                throw new PodRejectedException(
                    $"annotation {PodAnnotations.Outputs}: output {QuotedValue.Bare(output.MountPath)} is where the spec's tree is mounted; choose another path");
            }

            if (!existing.Contains(name))
            {
                patch.AddVolume(OutputVolumeNode(name, output, pullSecret));
            }

            foreach (var target in chosen)
            {
                AddMount(target, name, output.MountPath, readOnly: false, patch,
                    $"choose another path in {PodAnnotations.Outputs}, or leave the container out with {PodAnnotations.Containers}");
            }
        }

        if (spec is not null && (patch.Operations.Count > 0 || pod.Annotation(PodAnnotations.SpecDigest) != spec.Digest))
        {
            // The spec annotation is present, so the annotations object exists; "add" sets or overwrites the member.
            patch.Operations.Add(PatchOperation.Add(JsonPointer.Create("metadata", "annotations", PodAnnotations.SpecDigest), JsonValue.Create(spec.Digest)));
        }

        return patch.Operations;
    }

    /// <summary>The name of the volume for the output at <paramref name="index"/> in the annotation.</summary>
    public static string OutputVolumeName(int index) => OutputVolumePrefix + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>Adds what the spec needs; returns where its tree is mounted.</summary>
    private string AddSpec(Pod pod, AssemblyRequest request, ResolvedSpec spec, List<ChosenContainer> chosen, PodPatch patch, string? pullSecret)
    {
        var hasVolume = ExistingVolumeReference(pod, request.Spec!) is not null;
        var mountPath = request.MountPath ?? spec.MountPath ?? throw new PodRejectedException(
            $"no mount path: spec {spec.Reference} has no mount.path and the pod has no {PodAnnotations.MountPath} annotation");
        if (request.Rebase && spec.BaseImage is null)
        {
            throw new PodRejectedException($"{PodAnnotations.Rebase} is \"true\" but spec {spec.Reference} has no base image to rebase onto");
        }

        if (!hasVolume)
        {
            patch.AddVolume(VolumeNode(spec.Reference, pullSecret));
        }

        foreach (var target in chosen)
        {
            AddMount(target, VolumeName, mountPath, readOnly: true, patch,
                $"choose another path with {PodAnnotations.MountPath}, or leave the container out with {PodAnnotations.Containers}");
            if (request.Rebase && target.Container.Image != spec.BaseImage)
            {
                var path = JsonPointer.Create("spec", target.Field, target.Index, "image");
                patch.Operations.Add(target.Container.Image is null
                    ? PatchOperation.Add(path, JsonValue.Create(spec.BaseImage))
                    : PatchOperation.Replace(path, JsonValue.Create(spec.BaseImage)));
            }
        }

        return mountPath;
    }

    /// <summary>Mounts volume <paramref name="name"/> at <paramref name="mountPath"/> unless the container already does; another volume there is a conflict.</summary>
    private static void AddMount(ChosenContainer target, string name, string mountPath, bool readOnly, PodPatch patch, string hint)
    {
        var atPath = target.Container.VolumeMounts?.FirstOrDefault(m => SamePath(m.MountPath, mountPath));
        if (atPath is null)
        {
            patch.AddMount(target, MountNode(name, mountPath, readOnly));
        }
        else if (atPath.Name != name)
        {
            throw new PodRejectedException(
                $"{target.Describe()} already mounts volume {QuotedValue.Of(atPath.Name)} at {QuotedValue.Bare(atPath.MountPath)}; {hint}");
        }
    }

    /// <summary>The containers that get the mounts: those named by the annotation, else every app container.</summary>
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
    private Reference? ExistingVolumeReference(Pod pod, Reference asked)
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

        if (!SameSpec(asked, present))
        {
            throw new PodRejectedException(
                $"the pod already has volume \"{VolumeName}\" for {QuotedValue.Bare(text)}, but annotation {PodAnnotations.Spec} asks for {asked}; " +
                "remove the volume or the annotation");
        }

        return present;
    }

    /// <summary>
    /// The names of the output volumes the pod already has for the outputs asked for; a volume of such a name that is
    /// not that output's is a conflict.
    /// </summary>
    private HashSet<string> ExistingOutputVolumes(Pod pod, AssemblyRequest request)
    {
        var present = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < request.Outputs.Count; i++)
        {
            var name = OutputVolumeName(i);
            var volume = pod.Spec?.Volumes?.FirstOrDefault(v => v.Name == name);
            if (volume is null)
            {
                continue;
            }

            var output = request.Outputs[i];
            if (volume.Csi?.Driver != DriverName
                || volume.Csi.VolumeAttributes?.GetValueOrDefault(OutputReferenceAttribute) != output.Reference.Text)
            {
                throw new PodRejectedException(
                    $"the pod already has a volume named {QuotedValue.Of(name)}, which is not the output {QuotedValue.Bare(output.MountPath)}={output.Reference} " +
                    $"of annotation {PodAnnotations.Outputs}; rename that volume, or remove it and let the webhook add it");
            }

            present.Add(name);
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

    private JsonObject VolumeNode(Reference pinned, string? pullSecret) =>
        CsiVolumeNode(VolumeName, readOnly: true, ReferenceAttribute, pinned.ToString(), pullSecret);

    // readOnly false: the node plugin publishes an output volume writable, and refuses a read-only request for one.
    private JsonObject OutputVolumeNode(string name, OutputMount output, string? pullSecret) =>
        CsiVolumeNode(name, readOnly: false, OutputReferenceAttribute, output.Reference.Text, pullSecret);

    private JsonObject CsiVolumeNode(string name, bool readOnly, string attribute, string reference, string? pullSecret)
    {
        var csi = new JsonObject
        {
            ["driver"] = DriverName,
            ["readOnly"] = readOnly,
            ["volumeAttributes"] = new JsonObject { [attribute] = reference },
        };
        if (pullSecret is not null)
        {
            // kubelet reads this secret from the pod's namespace and hands its data to the node plugin, which reads
            // (or, for an output, pushes) with its credentials.
            csi["nodePublishSecretRef"] = new JsonObject { ["name"] = pullSecret };
        }

        return new JsonObject { ["name"] = name, ["csi"] = csi };
    }

    private static JsonObject MountNode(string name, string mountPath, bool readOnly) => new()
    {
        ["name"] = name,
        ["mountPath"] = mountPath,
        ["readOnly"] = readOnly,
    };
}

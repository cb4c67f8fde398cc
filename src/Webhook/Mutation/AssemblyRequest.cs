using OrasAssemble.Registry;
using OrasAssemble.Spec;
using OrasAssemble.Text;
using OrasAssemble.Webhook.Pods;

namespace OrasAssemble.Webhook.Mutation;

/// <summary>What a pod's annotations ask for, checked before anything is fetched.</summary>
/// <param name="Spec">The spec reference, or null for a pod that asks only for outputs.</param>
/// <param name="Containers">The containers named by <see cref="PodAnnotations.Containers"/>, or null for the default.</param>
/// <param name="MountPath">The mount path from <see cref="PodAnnotations.MountPath"/>, or null to use the spec's.</param>
/// <param name="Rebase">Whether <see cref="PodAnnotations.Rebase"/> is <c>"true"</c>.</param>
/// <param name="Outputs">The output volumes of <see cref="PodAnnotations.Outputs"/>, in the annotation's order.</param>
internal sealed record AssemblyRequest(
    Reference? Spec, IReadOnlyList<string>? Containers, string? MountPath, bool Rebase, IReadOnlyList<OutputMount> Outputs)
{
    /// <summary>The request a pod's annotations make, or null when it has neither a spec nor an outputs annotation.</summary>
    /// <exception cref="PodRejectedException">An annotation's value is unusable.</exception>
    public static AssemblyRequest? FromPod(Pod pod)
    {
        var specText = pod.Annotation(PodAnnotations.Spec);
        var outputs = OutputMount.FromPod(pod);
        if (specText is null)
        {
            if (outputs.Count == 0)
            {
                return null;
            }

            // Without a spec there is no tree to mount or rebase onto: say so rather than ignore what was asked.
            var specOnly = pod.Annotation(PodAnnotations.MountPath) is not null ? PodAnnotations.MountPath
                : ReadRebase(pod) ? PodAnnotations.Rebase
                : null;
            if (specOnly is not null)
            {
                throw new PodRejectedException($"annotation {specOnly} applies to the spec's tree, but the pod has no {PodAnnotations.Spec} annotation");
            }

            return new AssemblyRequest(null, ReadContainers(pod), null, Rebase: false, outputs);
        }

        specText = specText.Trim();
        if (specText.Length == 0)
        {
            throw new PodRejectedException($"annotation {PodAnnotations.Spec} is empty; set it to the spec's reference, e.g. registry.example/apps/hello-spec:1.0");
        }

        Reference spec;
        try
        {
            spec = Reference.Parse(specText);
        }
        catch (InvalidReferenceException e)
        {
            throw new PodRejectedException($"annotation {PodAnnotations.Spec}: {e.Message}");
        }

        return new AssemblyRequest(spec, ReadContainers(pod), ReadMountPath(pod), ReadRebase(pod), outputs);
    }

    private static List<string>? ReadContainers(Pod pod)
    {
        if (pod.Annotation(PodAnnotations.Containers) is not { } text)
        {
            return null;
        }

        var names = text.Split(',').Select(n => n.Trim()).ToList();
        if (names.Any(n => n.Length == 0))
        {
            throw new PodRejectedException(
                $"annotation {PodAnnotations.Containers} is {QuotedValue.Of(text)}, which has an empty name; list container names separated by commas, e.g. \"app,worker\"");
        }

        return names.Distinct(StringComparer.Ordinal).ToList();
    }

    private static string? ReadMountPath(Pod pod)
    {
        if (pod.Annotation(PodAnnotations.MountPath) is not { } text)
        {
            return null;
        }

        var path = text.Trim();
        return SpecPath.TreePathProblem(path) is { } problem
            ? throw new PodRejectedException($"annotation {PodAnnotations.MountPath}: {problem}")
            : path;
    }

    private static bool ReadRebase(Pod pod) => pod.Annotation(PodAnnotations.Rebase)?.Trim() switch
    {
        null or "false" => false,
        "true" => true,
        var other => throw new PodRejectedException($"annotation {PodAnnotations.Rebase} must be \"true\" or \"false\", not {QuotedValue.Of(other)}"),
    };
}

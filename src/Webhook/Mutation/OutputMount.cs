using OrasAssemble.Registry;
using OrasAssemble.Spec;
using OrasAssemble.Text;
using OrasAssemble.Webhook.Pods;

namespace OrasAssemble.Webhook.Mutation;

/// <summary>
/// One pair of <see cref="PodAnnotations.Outputs"/>: a writable volume mounted at <paramref name="MountPath"/> whose
/// contents the node plugin pushes to <paramref name="Reference"/> when the pod is done.
/// </summary>
internal sealed record OutputMount(string MountPath, PodReferenceTemplate Reference)
{
    /// <summary>More outputs than this in one pod is a mistake, not a workflow.</summary>
    public const int MaxPerPod = 16;

    private const string Example = "\"/results=registry.example/wf/out:{pod.name}\"";

    /// <summary>The outputs a pod's annotation asks for, in its order; empty without the annotation.</summary>
    /// <exception cref="PodRejectedException">The annotation's value is unusable; the message names the pair.</exception>
    public static IReadOnlyList<OutputMount> FromPod(Pod pod)
    {
        if (pod.Annotation(PodAnnotations.Outputs) is not { } text)
        {
            return [];
        }

        if (text.Trim().Length == 0)
        {
            throw Rejected($" is empty; list path=reference pairs separated by commas, e.g. {Example}");
        }

        var pairs = text.Split(',').Select(p => p.Trim()).ToList();
        if (pairs.Count > MaxPerPod)
        {
            throw Rejected($" has {pairs.Count} outputs; at most {MaxPerPod} are allowed in one pod");
        }

        var outputs = new List<OutputMount>(pairs.Count);
        foreach (var pair in pairs)
        {
            var output = Read(pair, text);
            if (outputs.Any(o => o.MountPath == output.MountPath))
            {
                throw Rejected($" names {QuotedValue.Bare(output.MountPath)} twice; give each output its own path");
            }

            outputs.Add(output);
        }

        return outputs;
    }

    private static OutputMount Read(string pair, string whole)
    {
        if (pair.Length == 0)
        {
            throw Rejected($" is {QuotedValue.Of(whole)}, which has an empty pair; list path=reference pairs separated by commas, e.g. {Example}");
        }

        var equals = pair.IndexOf('=', StringComparison.Ordinal);
        if (equals < 0)
        {
            throw Rejected($" pair {QuotedValue.Of(pair)} has no '='; write path=reference, e.g. {Example}");
        }

        var path = pair[..equals].Trim();
        if (SpecPath.ContainerPathProblem(path) is { } problem)
        {
            throw Rejected($": output path {problem}");
        }

        try
        {
            return new OutputMount(path, PodReferenceTemplate.Parse(pair[(equals + 1)..]));
        }
        catch (InvalidReferenceException e)
        {
            throw Rejected($": output {QuotedValue.Bare(path)}: {e.Message}");
        }
    }

    private static PodRejectedException Rejected(string problem) => new($"annotation {PodAnnotations.Outputs}{problem}");
}

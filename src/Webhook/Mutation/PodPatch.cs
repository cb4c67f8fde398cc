using System.Text.Json.Nodes;
using OrasAssemble.Webhook.Patching;
using OrasAssemble.Webhook.Pods;

namespace OrasAssemble.Webhook.Mutation;

/// <summary>
/// The operations of one patch, with which of the pod's lists exist by now: the first volume or mount added to a pod
/// without that list creates it, every later one appends.
/// </summary>
internal sealed class PodPatch(Pod pod)
{
    private readonly HashSet<string> created = new(StringComparer.Ordinal);

    public List<PatchOperation> Operations { get; } = [];

    public void AddVolume(JsonNode volume) =>
        Add(pod.Spec?.Volumes is not null, ["spec", "volumes"], volume);

    public void AddMount(ChosenContainer target, JsonNode mount) =>
        Add(target.Container.VolumeMounts is not null, ["spec", target.Field, target.Index, "volumeMounts"], mount);

    private void Add(bool exists, object[] path, JsonNode element)
    {
        var pointer = JsonPointer.Create(path);
        if (exists || !created.Add(pointer))
        {
            Operations.Add(PatchOperation.Add(JsonPointer.Create([.. path, JsonPointer.EndOfArray]), element));
        }
        else
        {
            Operations.Add(PatchOperation.Add(pointer, new JsonArray(element)));
        }
    }
}

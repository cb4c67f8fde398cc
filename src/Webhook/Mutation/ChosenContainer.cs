using OrasAssemble.Text;
using OrasAssemble.Webhook.Pods;

namespace OrasAssemble.Webhook.Mutation;

/// <summary>A container that gets the mount, with where it sits in the pod (for patch paths).</summary>
/// <param name="Field"><c>containers</c> or <c>initContainers</c>.</param>
/// <param name="Index">Its position in that list.</param>
internal sealed record ChosenContainer(string Field, int Index, Container Container)
{
    public string Name => Container.Name ?? "";

    public string Describe() => Field == PodMutator.InitContainersField ? $"init container {QuotedValue.Of(Name)}" : $"container {QuotedValue.Of(Name)}";
}

using OrasAssemble.Registry;
using OrasAssemble.Registry.Remote;

namespace OrasAssemble.Execution;

/// <summary>References are read from the registries they name.</summary>
public sealed class RegistryTargetLocator(RegistryClient client) : ITargetLocator
{
    public string Identity => "registry";

    public LocatedTarget Locate(Reference reference) => new(client.GetRepository(reference), reference.ContentReference);
}

namespace OrasAssemble.Tests.Fixtures;

/// <summary>
/// Classes marked <c>[Collection(BasicRegistryCollection.Name)]</c> share one <see cref="RegistryAuth.Basic"/> registry
/// (and therefore run one after another).
/// </summary>
[CollectionDefinition(Name)]
public sealed class BasicRegistryCollection : ICollectionFixture<BasicRegistryFixture>
{
    public const string Name = "Basic registry";
}

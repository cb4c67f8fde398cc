namespace OrasAssemble.Tests.Fixtures;

/// <summary>
/// Classes marked <c>[Collection(AnonymousRegistryCollection.Name)]</c> share one <see cref="RegistryAuth.Anonymous"/> registry
/// (and therefore run one after another).
/// </summary>
[CollectionDefinition(Name)]
public sealed class AnonymousRegistryCollection : ICollectionFixture<AnonymousRegistryFixture>
{
    public const string Name = "Anonymous registry";
}

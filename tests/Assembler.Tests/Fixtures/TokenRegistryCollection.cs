namespace OrasAssemble.Tests.Fixtures;

/// <summary>
/// Classes marked <c>[Collection(TokenRegistryCollection.Name)]</c> share one <see cref="RegistryAuth.Token"/> registry
/// (and therefore run one after another).
/// </summary>
[CollectionDefinition(Name)]
public sealed class TokenRegistryCollection : ICollectionFixture<TokenRegistryFixture>
{
    public const string Name = "Token registry";
}

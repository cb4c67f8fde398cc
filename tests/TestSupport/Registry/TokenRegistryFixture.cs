namespace OrasAssemble.Tests.Fixtures;

/// <summary>A shared registry with <see cref="RegistryAuth.Token"/> authentication.</summary>
public sealed class TokenRegistryFixture() : RegistryFixture(RegistryAuth.Token);

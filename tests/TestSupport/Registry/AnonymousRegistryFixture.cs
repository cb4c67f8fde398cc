namespace OrasAssemble.Tests.Fixtures;

/// <summary>A shared registry with <see cref="RegistryAuth.Anonymous"/> authentication.</summary>
public sealed class AnonymousRegistryFixture() : RegistryFixture(RegistryAuth.Anonymous);

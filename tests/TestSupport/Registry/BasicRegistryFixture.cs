namespace OrasAssemble.Tests.Fixtures;

/// <summary>A shared registry with <see cref="RegistryAuth.Basic"/> authentication.</summary>
public sealed class BasicRegistryFixture() : RegistryFixture(RegistryAuth.Basic);

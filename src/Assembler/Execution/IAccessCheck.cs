using OrasAssemble.Cache;

namespace OrasAssemble.Execution;

/// <summary>
/// Tenancy, decided by the caller: whether whoever asks for a tree may read what it was built from. Asked only for a
/// tree found by its pin, since resolving the sources (with the caller's own locator and credentials) proves as much.
/// </summary>
public interface IAccessCheck
{
    /// <summary>Returns when the caller may have the tree; throws the caller's refusal otherwise.</summary>
    Task CheckAsync(IReadOnlyList<TreeSource> sources, CancellationToken cancellationToken);
}

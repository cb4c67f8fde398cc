namespace OrasAssemble.Execution;

public enum PullPolicy
{
    /// <summary>Reuse the tree last assembled for this spec, without asking any registry, when it is cached.</summary>
    IfNotPresent,

    /// <summary>Resolve every tag again; only blobs that changed are fetched.</summary>
    Always,
}

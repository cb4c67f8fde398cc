namespace OrasAssemble.Spec.Model;

/// <summary>The image the composed tree is mounted over.</summary>
public sealed record BaseImageSpec
{
    /// <summary>A reference; pushing the spec pins it by digest in the artifact's annotations.</summary>
    public required string Image { get; init; }

    /// <summary><c>os/arch[/variant]</c> the base must provide; a rebase onto an image without it is refused.</summary>
    public string? Platform { get; init; }
}

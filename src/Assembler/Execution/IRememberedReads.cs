using OrasAssemble.Oci;
using OrasAssemble.Registry;

namespace OrasAssemble.Execution;

/// <summary>
/// Manifest reads the caller remembers having made with its own credentials (as the node plugin's verified-access
/// window does), so that a reference read lately needs no registry request. The assembler uses a remembered read of a
/// tag only while the tag's pin still names the same manifest.
/// </summary>
public interface IRememberedReads
{
    /// <summary>The manifest <paramref name="reference"/> (as given) was read as lately, or null to ask the registry.</summary>
    Descriptor? Find(Reference reference);

    /// <summary>Told after the registry answered a read of <paramref name="reference"/> (as given) with <paramref name="manifest"/>.</summary>
    void Record(Reference reference, Descriptor manifest);
}

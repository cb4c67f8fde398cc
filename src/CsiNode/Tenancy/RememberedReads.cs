using OrasAssemble.Execution;
using OrasAssemble.Oci;
using OrasAssemble.Registry;

namespace OrasAssemble.CsiNode.Tenancy;

/// <summary>
/// The reads one volume's credentials made lately, as the assembler asks for them: a reference as the volume gives it,
/// remembered in <see cref="VerifiedAccess"/> under the credentials' id. With <paramref name="useRemembered"/> false
/// (pull policy <c>Always</c>) nothing remembered stands in for a registry read, but reads are still recorded.
/// </summary>
internal sealed class RememberedReads(VerifiedAccess verified, string credentialsId, bool useRemembered) : IRememberedReads
{
    public Descriptor? Find(Reference reference) =>
        useRemembered ? verified.Find(credentialsId, reference.ToString())?.Manifest : null;

    public void Record(Reference reference, Descriptor manifest) =>
        verified.Record(credentialsId, reference.ToString(), manifest.Digest, manifest);
}

using System.Globalization;
using System.Runtime.Versioning;

namespace OrasAssemble.Layers;

/// <summary>
/// Reads a layer before its turn, while the layers below it are still being applied: each regular file's data is
/// written into a directory of the layer's own (one file per entry, named by its number, with the entry's owner, mode
/// and time), and every entry's change is kept, in tar order, to be made on the tree once the layers below are in
/// place (<see cref="ApplyTo"/>). What the tar alone decides is checked while reading (names, sizes, the budget, data
/// that ends early); what depends on the tree (where links lead, what a whiteout hides, what an entry replaces) is
/// decided when the changes are made, by the same <see cref="TreeWriter"/> calls in the same order as a layer applied
/// in its turn. So the tree ends the same either way, and fails with the same message; only the file data moves
/// (a rename) rather than being written then.
/// </summary>
/// <remarks>
/// The directory must be on the tree's file system, empty, and the caller's alone; <see cref="ApplyTo"/> leaves it
/// empty. Memory: one small record per entry, so at most the limits' entry count.
/// </remarks>
[UnsupportedOSPlatform("windows")]
internal sealed class LayerJournal : ILayerChanges
{
    private readonly string _aside;
    private readonly TreeWriter _files;
    private readonly List<Action<TreeWriter>> _changes = [];
    private long _written;

    /// <param name="aside">The empty directory the file data is written into.</param>
    /// <param name="budget">What the whole build may still write, charged now: the changes made later charge nothing.</param>
    /// <param name="owners">Sets the owners entries ask for, as far as the process may; the same when the changes are made.</param>
    public LayerJournal(string aside, string layerDigest, ExtractionLimits limits, TreeBudget budget, Ownership owners)
    {
        _aside = aside;
        // A flat directory of numbered files: no parents, no links, nothing in it but what this writes.
        _files = new TreeWriter(aside, layerDigest, limits, budget, scope: [], limits.RewriteAbsoluteSymlinks, owners);
    }

    public long FileBytes => _files.FileBytes;

    public long SetuidBitsStripped => _files.SetuidBitsStripped;

    public UnixFileMode Sanitize(UnixFileMode mode) => _files.Sanitize(mode);

    public void CountEntry(string entry) => _files.CountEntry(entry);

    public async Task WriteFileAsync(
        string entry, string[] components, Stream? data, long length, (uint Uid, uint Gid) owner, UnixFileMode mode, DateTime modified,
        CancellationToken cancellationToken)
    {
        var name = (_written++).ToString(CultureInfo.InvariantCulture);
        var before = _files.FileBytes;
        await _files.WriteFileAsync(entry, [name], data, length, owner, mode, modified, cancellationToken).ConfigureAwait(false);
        var aside = Path.Join(_aside, name);
        var bytes = _files.FileBytes - before;
        _changes.Add(tree => tree.MoveFileIn(entry, components, aside, bytes));
    }

    public void CreateDirectory(string entry, string[] components, (uint Uid, uint Gid) owner, UnixFileMode mode, DateTime modified) =>
        _changes.Add(tree => tree.CreateDirectory(entry, components, owner, mode, modified));

    public void CreateSymbolicLink(string entry, string[] components, string target, (uint Uid, uint Gid) owner, DateTime modified) =>
        _changes.Add(tree => tree.CreateSymbolicLink(entry, components, target, owner, modified));

    public void CreateHardLink(string entry, string[] components, string linkName) =>
        _changes.Add(tree => tree.CreateHardLink(entry, components, linkName));

    public void Forget(string entry, string[] components) => _changes.Add(tree => tree.Forget(entry, components));

    public void Whiteout(string entry, string[] directory, string name) => _changes.Add(tree => tree.Whiteout(entry, directory, name));

    public void Opaque(string entry, string[] directory) => _changes.Add(tree => tree.Opaque(entry, directory));

    /// <summary>Makes the layer's changes on <paramref name="tree"/>, in tar order, then gives its directories their final metadata.</summary>
    public void ApplyTo(TreeWriter tree, CancellationToken cancellationToken)
    {
        foreach (var change in _changes)
        {
            cancellationToken.ThrowIfCancellationRequested();
            change(tree);
        }

        tree.Finish();
    }
}

using System.Formats.Tar;
using System.Runtime.Versioning;

namespace OrasAssemble.Layers;

/// <summary>Reads one tar stream entry by entry and says what each asks of the tree, in order.</summary>
[UnsupportedOSPlatform("windows")]
internal sealed class TarExtractor
{
    private const string WhiteoutPrefix = ".wh.";
    private const string OpaqueMarker = ".wh..wh..opq";

    private const string Truncated = "the tar data ends in the middle of an entry";

    private readonly ILayerChanges _tree;
    private readonly BoundedReadStream _archive;
    private readonly TarEndStream _ends;
    private readonly string _digest;
    private readonly ExtractionLimits _limits;
    private readonly bool _whiteouts;
    private readonly string[] _scope;

    // Device nodes and FIFOs left out, by path: a hard link to one is left out with it.
    private readonly HashSet<string> _skipped = new(StringComparer.Ordinal);

    /// <param name="whiteouts">Image layers: ".wh." names delete lower entries. Otherwise they are ordinary names.</param>
    /// <param name="scope">Components every entry must lie under (an ORAS directory's title); empty for image layers.</param>
    public TarExtractor(ILayerChanges tree, BoundedReadStream archive, string layerDigest, ExtractionLimits limits, bool whiteouts, string[] scope)
    {
        _tree = tree;
        _archive = archive;
        _ends = new TarEndStream(archive);
        _digest = layerDigest;
        _limits = limits;
        _whiteouts = whiteouts;
        _scope = scope;
    }

    /// <summary>Device nodes and FIFOs (and hard links to them) left out: a tree is mounted nodev, and they have no place in it.</summary>
    public long SkippedSpecialFiles => _skipped.Count;

    /// <summary>Applies every entry, then reads the stream to its end (so a verifying stream below sees every byte); returns the entry count.</summary>
    public async Task<long> ExtractAsync(CancellationToken cancellationToken)
    {
        long entries = 0;
        var reader = new TarReader(_ends, leaveOpen: true);
        await using (reader.ConfigureAwait(false))
        {
            while (await NextAsync(reader, cancellationToken).ConfigureAwait(false) is { } entry)
            {
                _archive.CurrentEntry = entry.Name;
                // A global pax header's data is read with the header; any other entry's data follows it.
                _ends.EntryData(entry.EntryType == TarEntryType.GlobalExtendedAttributes ? 0 : entry.Length);
                if (++entries > _limits.MaxEntries)
                {
                    throw new UnsafeLayerException(_digest, entry.Name, $"the layer has more than {_limits.MaxEntries} entries");
                }

                _tree.CountEntry(entry.Name);

                await ApplyAsync(entry, cancellationToken).ConfigureAwait(false);

                // A body nothing wrote (a directory or whiteout that carries data) is still read, within the total bound.
                if (entry.DataStream is { } rest)
                {
                    await rest.CopyToAsync(Stream.Null, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        await _archive.CopyToAsync(Stream.Null, 64 * 1024, cancellationToken).ConfigureAwait(false);
        return entries;
    }

    private async Task<TarEntry?> NextAsync(TarReader reader, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _archive.BeginHeaderWindow(_limits.MaxHeaderBytes);
        try
        {
            return await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidDataException or FormatException)
        {
            throw new InvalidLayerException(_digest, null, $"the tar data is corrupt: {e.Message}", e);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidLayerException(_digest, _ends.EndedInData ? _archive.CurrentEntry : null, Truncated, e);
        }
        finally
        {
            _archive.EndHeaderWindow();
        }
    }

    private async Task ApplyAsync(TarEntry entry, CancellationToken cancellationToken)
    {
        var name = entry.Name;
        if (entry.EntryType == TarEntryType.GlobalExtendedAttributes)
        {
            return;
        }

        var components = EntryPath.Normalize(name, "the path", _limits, out var reason)
            ?? throw new UnsafeLayerException(_digest, name, reason);

        if (_whiteouts && components.Length > 0 && components[^1].StartsWith(WhiteoutPrefix, StringComparison.Ordinal))
        {
            ApplyWhiteout(name, components);
            return;
        }

        if (!EntryPath.StartsWith(components, _scope))
        {
            throw new UnsafeLayerException(_digest, name, $"the entry is outside the directory \"{EntryPath.Join(_scope)}\" that the layer's title names");
        }

        if (components.Length == _scope.Length && entry.EntryType != TarEntryType.Directory)
        {
            throw new InvalidLayerException(_digest, name, $"a {Describe(entry.EntryType)} cannot take the place of {(_scope.Length == 0 ? "the target directory" : $"the directory \"{EntryPath.Join(_scope)}\"")}");
        }

        var modified = Time(entry.ModificationTime);
        var owner = ((uint)entry.Uid, (uint)entry.Gid);
        switch (entry.EntryType)
        {
            case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                if (_archive.BytesRead + entry.Length > _limits.MaxTotalBytes)
                {
                    // Known from the header: stop before writing any of it.
                    throw new UnsafeLayerException(_digest, name, $"the layer expands to more than {_limits.MaxTotalBytes} bytes");
                }

                var before = _tree.FileBytes;
                await _tree.WriteFileAsync(name, components, entry.DataStream, entry.Length, owner, _tree.Sanitize(entry.Mode), modified, cancellationToken)
                    .ConfigureAwait(false);
                if (_tree.FileBytes - before != entry.Length)
                {
                    // The bytes ran out inside the data: the file on disk is short, and the layer is refused.
                    throw new InvalidLayerException(_digest, name, Truncated);
                }

                break;
            case TarEntryType.Directory when components.Length == 0:
                // "./" or "/": the target directory itself, whose mode and time are the caller's.
                break;
            case TarEntryType.Directory:
                _tree.CreateDirectory(name, components, owner, _tree.Sanitize(entry.Mode), modified);
                break;
            case TarEntryType.SymbolicLink:
                _tree.CreateSymbolicLink(name, components, entry.LinkName, owner, modified);
                break;
            case TarEntryType.HardLink when EntryPath.Normalize(entry.LinkName, "the hard link target", _limits, out _) is { } target
                && _skipped.Contains(EntryPath.Join(target)):
                _tree.Forget(name, components);
                _skipped.Add(EntryPath.Join(components));
                break;
            case TarEntryType.HardLink:
                _tree.CreateHardLink(name, components, entry.LinkName);
                break;
            case TarEntryType.CharacterDevice or TarEntryType.BlockDevice or TarEntryType.Fifo:
                // What a lower layer had at the path is replaced by nothing, as the device would have replaced it.
                _tree.Forget(name, components);
                _skipped.Add(EntryPath.Join(components));
                break;
            case TarEntryType.SparseFile:
                throw new UnsupportedLayerException(_digest, name, "GNU sparse files are not supported");
            default:
                throw new UnsupportedLayerException(_digest, name, $"tar entries of type {entry.EntryType} are not supported");
        }
    }

    private void ApplyWhiteout(string name, string[] components)
    {
        var marker = components[^1];
        var directory = components[..^1];
        if (marker == OpaqueMarker)
        {
            _tree.Opaque(name, directory);
            return;
        }

        if (marker.StartsWith(WhiteoutPrefix + WhiteoutPrefix, StringComparison.Ordinal))
        {
            // Other ".wh..wh." names are AUFS bookkeeping with no meaning in an image; they hide nothing.
            return;
        }

        var hidden = marker[WhiteoutPrefix.Length..];
        if (hidden is "" or "." or "..")
        {
            throw new UnsafeLayerException(_digest, name, "the whiteout does not name an entry of its directory");
        }

        _tree.Whiteout(name, directory, hidden);
    }

    // Tar times before 1970 are not portable across file systems; the earliest kept is the epoch.
    private static DateTime Time(DateTimeOffset modified) =>
        modified < DateTimeOffset.UnixEpoch ? DateTime.UnixEpoch : modified.UtcDateTime;

    private static string Describe(TarEntryType type) => type switch
    {
        TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile => "regular file",
        TarEntryType.SymbolicLink => "symbolic link",
        TarEntryType.HardLink => "hard link",
        TarEntryType.CharacterDevice => "character device",
        TarEntryType.BlockDevice => "block device",
        TarEntryType.Fifo => "FIFO",
        _ => $"{type} entry",
    };
}

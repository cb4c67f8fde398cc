namespace OrasAssemble.IO;

/// <summary>Removes temporary files and folders without letting a cleanup failure hide the error that caused it.</summary>
public static class TempTree
{
    /// <summary>Deletes a file, a link or a directory tree (read-only directories included), ignoring what cannot be removed.</summary>
    public static void DeleteQuietly(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            if (Directory.Exists(path) && new FileInfo(path).LinkTarget is null)
            {
                try
                {
                    Directory.Delete(path, recursive: true);
                }
                catch (UnauthorizedAccessException)
                {
                    // Unpacked folders may be read-only by design; make them writable to remove them.
                    foreach (var directory in Directory.EnumerateDirectories(path, "*", SearchOption.AllDirectories).Prepend(path))
                    {
                        if (!OperatingSystem.IsWindows() && new FileInfo(directory).LinkTarget is null)
                        {
                            File.SetUnixFileMode(directory, File.GetUnixFileMode(directory) | UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                        }
                    }

                    Directory.Delete(path, recursive: true);
                }
            }
            else
            {
                File.Delete(path);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: leftovers carry a recognisable temporary name, and the error that led here matters more.
        }
    }
}

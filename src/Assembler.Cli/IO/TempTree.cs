namespace OrasAssemble.Cli.IO;

/// <summary>Removes temporary files and folders without letting a cleanup failure hide the error that caused it.</summary>
internal static class TempTree
{
    public static void DeleteQuietly(string path)
    {
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
                        if (new FileInfo(directory).LinkTarget is null)
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
            // Best effort: the files carry a recognisable temporary name.
        }
    }
}

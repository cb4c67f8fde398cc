namespace OrasAssemble.Registry.Remote;

/// <summary>
/// A blob a mirror served turned out not to be the content asked for. Nothing of it was kept; the mirror is passed
/// over for that blob from now on, so fetching it again goes to the next mirror or the registry itself.
/// </summary>
public sealed class MirrorContentException(string message) : Exception(message);

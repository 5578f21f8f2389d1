using LightNfv.Core.Errors;

namespace LightNfv.Backends.Oci.Spec;

/// <summary>
/// An OCI bundle directory. root.path is absolute (the runtime-spec allows it), so the bundle holds only config.json
/// and the rootfs can live, and be shared read-only, wherever the image store keeps it.
/// </summary>
public static partial class OciBundle
{
    public const string ConfigFileName = "config.json";

    /// <summary>Writes config.json for <paramref name="input"/> into <paramref name="bundleDirectory"/>; returns its path.</summary>
    public static string Write(string bundleDirectory, OciSpecInput input)
    {
        // Build first: an invalid input must not leave a half-made bundle behind.
        var json = OciSpecBuilder.Build(input);
        var directory = Path.GetFullPath(bundleDirectory);
        var path = Path.Combine(directory, ConfigFileName);
        var temp = Path.Combine(directory, $".{ConfigFileName}.{Guid.NewGuid():N}.tmp");
        try
        {
            Directory.CreateDirectory(directory);
            // Owner-only: the env may carry credentials. Written to a temp file, then renamed, so a runtime never sees a
            // truncated config.json. Not fsynced (1 ms on the instantiation path here): a bundle is per-instance runtime
            // state, like the runtime's own state directory, which no host crash leaves usable either.
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }
            using (var stream = new FileStream(temp, options))
            using (var writer = new StreamWriter(stream))
            {
                writer.Write(json);
            }
            File.Move(temp, path, overwrite: true);
            return path;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw new LightNfvException(ErrorKind.Host, $"could not write the OCI bundle config {path}: {e.Message}", e);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: the stray temp file is harmless and the original error is what the operator needs.
        }
    }
}

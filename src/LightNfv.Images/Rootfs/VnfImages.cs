using System.Diagnostics;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;
using LightNfv.Host.Processes;
using LightNfv.Images.Elf;
using LightNfv.Images.Paths;

namespace LightNfv.Images.Rootfs;

/// <summary>Maps what a VNF runs (a command line or a built-in VNF) to the root filesystem it needs.</summary>
public static class VnfImages
{
    /// <summary>The search path execvp uses when PATH is unset in a root context; images are built from it too.</summary>
    public const string DefaultSearchPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>
    /// The request for running <paramref name="argv"/>: argv[0] found like execvp (a name with a slash is taken
    /// as a path, otherwise the first executable regular file on the search path), plus the extra files.
    /// A busybox argv needs nothing else (it is static), but applets it runs by name (nc -e cat) must be on PATH
    /// inside the image, so every argv word that names an applet, and sh, get a link to busybox.
    /// </summary>
    public static RootfsRequest ForArgv(IReadOnlyList<string> argv, IReadOnlyList<string> extraFiles, string searchPath = DefaultSearchPath)
    {
        if (argv.Count == 0 || string.IsNullOrWhiteSpace(argv[0]))
        {
            throw new LightNfvException(ErrorKind.Invalid, "spec.app.command: is empty; give the program to run (e.g. [iperf3, -s])");
        }
        for (var i = 0; i < extraFiles.Count; i++)
        {
            if (!extraFiles[i].StartsWith('/'))
            {
                throw new LightNfvException(ErrorKind.Invalid,
                    $"spec.app.files[{i}]: '{extraFiles[i]}' is not an absolute path; give the full host path of the file to copy");
            }
        }

        var program = ResolveProgram(argv[0], searchPath);
        var request = new RootfsRequest([program], extraFiles);
        return IsBusybox(program) ? request with { Symlinks = BusyboxApplets(program, argv) } : request;
    }

    /// <summary>The request for a built-in VNF (see <see cref="BuiltinVnfs"/>) on its default port.</summary>
    public static RootfsRequest ForBuiltin(string name, IReadOnlyList<string>? extraFiles = null)
    {
        var builtin = BuiltinVnfs.Find(name) ?? throw new LightNfvException(ErrorKind.Invalid,
            $"spec.app.builtin: '{name}' is not a built-in VNF; use one of {string.Join(", ", BuiltinVnfs.All.Select(b => b.Name))}");
        return ForArgv(builtin.Argv(builtin.DefaultPort), extraFiles ?? []);
    }

    /// <summary>Where execvp would find <paramref name="program"/>.</summary>
    public static string ResolveProgram(string program, string searchPath = DefaultSearchPath)
    {
        if (program.Contains('/'))
        {
            var path = Path.GetFullPath(program);
            return IsExecutableFile(path) ? path : throw new LightNfvException(ErrorKind.Invalid,
                $"spec.app.command: '{program}' is not an executable file on this host; check the path or install the program");
        }
        foreach (var directory in searchPath.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = HostTree.Join(directory, program);
            // Like execvp, a match that is not executable does not stop the search.
            if (IsExecutableFile(candidate))
            {
                return candidate;
            }
        }
        throw new LightNfvException(ErrorKind.Invalid,
            $"spec.app.command: '{program}' was not found on this host's PATH ({searchPath}); install it (e.g. apt-get install {program}) or give an absolute path");
    }

    private static bool IsExecutableFile(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }
        const UnixFileMode anyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        // File.Exists follows symlinks, so this is the mode of the file execvp would run.
        var resolved = new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path;
        return (FileModes.Get(resolved) & anyExecute) != 0;
    }

    private static bool IsBusybox(string program) =>
        Path.GetFileName(program) == "busybox" && ElfFile.IsElf64LittleEndian(program) && ElfFile.Read(program).IsStatic;

    private static IReadOnlyDictionary<string, string> BusyboxApplets(string busybox, IReadOnlyList<string> argv)
    {
        var applets = ListApplets(busybox);
        var directory = HostTree.Parent(busybox);
        var links = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var word in argv.Skip(1).Append("sh"))
        {
            if (applets.Contains(word))
            {
                links[HostTree.Join(directory, word)] = Path.GetFileName(busybox);
            }
        }
        links.Remove(busybox);
        return links;
    }

    /// <summary>Asks busybox which applets it has; the binary is the one going into the image, so its answer is the truth.</summary>
    private static HashSet<string> ListApplets(string busybox)
    {
        var start = new ProcessStartInfo(busybox, "--list") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        try
        {
            using var process = HostProcess.Start(start);
            var stdout = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(5)))
            {
                process.Kill();
                return [];
            }
            return process.ExitCode == 0
                ? stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal)
                : [];
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return []; // Cannot run it here (another architecture): no applet links, the argv still works for busybox itself.
        }
    }
}

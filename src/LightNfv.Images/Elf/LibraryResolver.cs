using LightNfv.Core.Errors;
using LightNfv.Images.Paths;

namespace LightNfv.Images.Elf;

/// <summary>
/// Finds the shared libraries an executable loads, following glibc ld.so's search rules rather than running
/// ldd (which executes the binary and depends on the host's loader). Per DT_NEEDED of an object:
/// <list type="number">
/// <item>if the object has no DT_RUNPATH: DT_RPATH of the object, then of the object that loaded it, up to the executable
/// (an object with DT_RUNPATH contributes no DT_RPATH);</item>
/// <item>DT_RUNPATH of the object itself (never inherited);</item>
/// <item>the directories of ld.so.conf (what ld.so.cache is built from);</item>
/// <item>the architecture's default directories.</item>
/// </list>
/// $ORIGIN is the directory of the object (the real one for the executable, as ld.so takes it from /proc/self/exe).
/// A name already loaded (by DT_NEEDED name or DT_SONAME, including the interpreter's) is not searched again,
/// and a candidate of another class or machine is skipped, as ld.so does.
/// </summary>
public sealed class LibraryResolver
{
    public const string DefaultLdSoConf = "/etc/ld.so.conf";

    private readonly string _ldSoConf;
    private readonly Dictionary<string, ElfFile?> _elfCache = new(StringComparer.Ordinal);
    private IReadOnlyList<string>? _configured;
    private List<string>? _configFiles;

    /// <param name="root">Host directory standing for "/" (a fake tree in tests, a sysroot); "/" for the host.</param>
    /// <param name="ldSoConf">ld.so.conf path inside the tree.</param>
    public LibraryResolver(string root = "/", string ldSoConf = DefaultLdSoConf)
        : this(new HostTree(root), ldSoConf)
    {
    }

    public LibraryResolver(HostTree tree, string ldSoConf = DefaultLdSoConf)
    {
        Tree = tree;
        _ldSoConf = ldSoConf;
    }

    public HostTree Tree { get; }

    /// <summary>Directories from ld.so.conf and its includes, in search order.</summary>
    public IReadOnlyList<string> ConfiguredDirectories
    {
        get
        {
            if (_configured is null)
            {
                _configFiles = [];
                _configured = LdSoConf.Directories(Tree, _ldSoConf, _configFiles);
            }
            return _configured;
        }
    }

    /// <summary>ld.so.conf and every file it included (inputs whose change may change resolution).</summary>
    public IReadOnlyList<string> ConfigurationFiles
    {
        get
        {
            _ = ConfiguredDirectories;
            return _configFiles!;
        }
    }

    /// <summary>The loader's built-in directories (Debian multiarch first).</summary>
    public static IReadOnlyList<string> DefaultDirectories(ElfMachine machine) => machine switch
    {
        ElfMachine.X86_64 => ["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"],
        ElfMachine.AArch64 => ["/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"],
        _ => throw UnsupportedMachine(machine, null),
    };

    /// <summary>Reads an ELF file inside the tree (symlinks followed inside the tree).</summary>
    public ElfFile ReadElf(string path)
    {
        var resolved = Tree.Resolve(path);
        if (resolved is null || resolved.IsDirectory)
        {
            throw new LightNfvException(ErrorKind.NotFound,
                $"'{path}' does not exist{(Tree.Root == "/" ? "" : $" under {Tree.Root}")}; check the path");
        }
        return ElfFile.Read(Tree.ToHost(resolved.RealPath), path);
    }

    /// <summary>
    /// Every file the loader opens to run <paramref name="executable"/> (a path inside the tree), as the paths it
    /// opens them by: the interpreter first, then libraries breadth-first in DT_NEEDED order. The executable itself
    /// is not included; a static executable gives an empty list.
    /// </summary>
    public IReadOnlyList<string> Closure(string executable)
    {
        var resolved = Tree.Resolve(executable);
        var exe = ReadElf(executable);
        if (exe.IsStatic)
        {
            return [];
        }
        if (!Enum.IsDefined(exe.Machine))
        {
            throw UnsupportedMachine(exe.Machine, executable);
        }

        var result = new List<string>();
        var paths = new HashSet<string>(StringComparer.Ordinal) { executable };
        var byName = new Dictionary<string, Loaded>(StringComparer.Ordinal);
        var byRealPath = new Dictionary<string, Loaded>(StringComparer.Ordinal);
        var main = new Loaded(executable, exe, null, HostTree.Parent(resolved!.RealPath));
        byRealPath[resolved.RealPath] = main;

        if (exe.Interpreter is { } interpreterPath)
        {
            var interpreterReal = Tree.Resolve(interpreterPath);
            if (interpreterReal is null || interpreterReal.IsDirectory)
            {
                throw new LightNfvException(ErrorKind.NotFound,
                    $"the loader '{interpreterPath}' that '{executable}' asks for (PT_INTERP) does not exist; install the matching libc or rebuild the binary");
            }
            var interpreter = ReadElf(interpreterPath);
            var loaded = new Loaded(interpreterPath, interpreter, null, HostTree.Parent(interpreterPath));
            result.Add(interpreterPath);
            paths.Add(interpreterPath);
            byRealPath[interpreterReal.RealPath] = loaded;
            // ld.so matches later DT_NEEDED entries against the SONAMEs of what is loaded, the interpreter included.
            if (interpreter.SoName is { } soname)
            {
                byName[soname] = loaded;
            }
        }

        var queue = new Queue<Loaded>([main]);
        while (queue.TryDequeue(out var requester))
        {
            foreach (var name in requester.Elf.Needed)
            {
                if (byName.ContainsKey(name))
                {
                    continue;
                }
                var (path, realPath, elf) = Find(name, requester, exe.Machine);
                if (paths.Add(path))
                {
                    result.Add(path);
                }
                // The same file reached by another path is one object to ld.so (it compares device and inode).
                if (byRealPath.TryGetValue(realPath, out var existing))
                {
                    byName[name] = existing;
                    continue;
                }
                var loaded = new Loaded(path, elf, requester, HostTree.Parent(path));
                byRealPath[realPath] = loaded;
                byName[name] = loaded;
                if (elf.SoName is { } soname)
                {
                    byName.TryAdd(soname, loaded);
                }
                queue.Enqueue(loaded);
            }
        }
        return result;
    }

    private (string Path, string RealPath, ElfFile Elf) Find(string name, Loaded requester, ElfMachine machine)
    {
        var searched = new List<string>();
        if (name.Contains('/'))
        {
            // A name with a slash is opened as is (relative ones from the working directory, which an image starts in at "/").
            var direct = name.StartsWith('/') ? name : "/" + name;
            if (Accept(direct, machine) is { } hit)
            {
                return (direct, hit.RealPath, hit.Elf);
            }
            searched.Add(direct);
        }
        else
        {
            foreach (var directory in SearchPath(requester))
            {
                if (searched.Contains(directory))
                {
                    continue;
                }
                searched.Add(directory);
                var candidate = Tree.Clean(HostTree.Join(directory, name));
                if (Accept(candidate, machine) is { } hit)
                {
                    return (candidate, hit.RealPath, hit.Elf);
                }
            }
        }
        throw new LightNfvException(ErrorKind.NotFound,
            $"library '{name}' needed by '{requester.Path}' was not found (searched {string.Join(", ", searched)}); " +
            "install the package that provides it, or add its directory to /etc/ld.so.conf.d/ or the binary's RUNPATH");
    }

    private IEnumerable<string> SearchPath(Loaded requester)
    {
        var machine = requester.Elf.Machine;
        if (requester.Elf.RunPath is null)
        {
            for (var l = requester; l is not null; l = l.Loader)
            {
                // An object with DT_RUNPATH has its DT_RPATH ignored entirely (glibc drops it when reading the dynamic section).
                if (l.Elf.RunPath is null && l.Elf.RPath is { } rpath)
                {
                    foreach (var directory in Expand(rpath, l.Origin, machine))
                    {
                        yield return directory;
                    }
                }
            }
        }
        if (requester.Elf.RunPath is { } runpath)
        {
            foreach (var directory in Expand(runpath, requester.Origin, machine))
            {
                yield return directory;
            }
        }
        foreach (var directory in ConfiguredDirectories)
        {
            yield return directory;
        }
        foreach (var directory in DefaultDirectories(machine))
        {
            yield return directory;
        }
    }

    /// <summary>Splits a search path and substitutes $ORIGIN, $LIB and $PLATFORM (also in ${...} form).</summary>
    internal static IEnumerable<string> Expand(string searchPath, string origin, ElfMachine machine)
    {
        var platform = machine == ElfMachine.AArch64 ? "aarch64" : "x86_64";
        // Debian's multiarch glibc is configured with slibdir=/lib/<triplet>, so $LIB names that.
        var lib = $"lib/{platform}-linux-gnu";
        foreach (var entry in searchPath.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var expanded = entry
                .Replace("${ORIGIN}", origin).Replace("$ORIGIN", origin)
                .Replace("${LIB}", lib).Replace("$LIB", lib)
                .Replace("${PLATFORM}", platform).Replace("$PLATFORM", platform);
            // Unknown substitutions and relative entries (relative to the working directory) cannot be honoured: ld.so skips them too.
            if (expanded.StartsWith('/') && !expanded.Contains('$'))
            {
                yield return expanded;
            }
        }
    }

    private (string RealPath, ElfFile Elf)? Accept(string candidate, ElfMachine machine)
    {
        var resolved = Tree.Resolve(candidate);
        if (resolved is null || resolved.IsDirectory)
        {
            return null;
        }
        if (!_elfCache.TryGetValue(resolved.RealPath, out var elf))
        {
            var host = Tree.ToHost(resolved.RealPath);
            try
            {
                elf = ElfFile.IsElf64LittleEndian(host) ? ElfFile.Read(host, candidate) : null;
            }
            catch (LightNfvException e) when (e.Kind == ErrorKind.Invalid)
            {
                elf = null; // A broken or foreign file in a search directory: ld.so moves on to the next one.
            }
            _elfCache[resolved.RealPath] = elf;
        }
        return elf is not null && elf.Machine == machine ? (resolved.RealPath, elf) : null;
    }

    private static LightNfvException UnsupportedMachine(ElfMachine machine, string? path) =>
        new(ErrorKind.Invalid, $"{(path is null ? "a binary" : $"'{path}'")} is built for ELF machine {(ushort)machine}; images support x86-64 (62) and aarch64 (183) binaries");

    /// <summary>An object in the load graph: the path it was opened by, who caused the load, and its $ORIGIN.</summary>
    private sealed record Loaded(string Path, ElfFile Elf, Loaded? Loader, string Origin);
}

using System.Text;
using LightNfv.Core.Errors;
using LightNfv.Images.Elf;
using LightNfv.Images.Paths;

namespace LightNfv.Images.Rootfs;

/// <summary>
/// Turns a request into the list of image entries: each host path with every symlink crossed on the way
/// (so merged-usr links like /lib -> usr/lib are reproduced, not duplicated), parent directories with host
/// modes, the library closure, and the few files every Linux userland expects.
/// </summary>
internal sealed class RootfsPlanner(LibraryResolver resolver)
{
    private const UnixFileMode Directory0755 = (UnixFileMode)0b111_101_101;
    private const UnixFileMode File0644 = (UnixFileMode)0b110_100_100;

    // Kernel filesystems: nothing from them belongs in an image, and their files are not regular.
    private static readonly string[] PseudoFilesystems = ["/proc", "/sys", "/dev"];

    private HostTree Tree => resolver.Tree;

    /// <summary>Entries by image path, sorted so parents come before children.</summary>
    public SortedDictionary<string, RootfsEntry> Entries { get; } = new(StringComparer.Ordinal);

    /// <summary>Tree paths read from the host (files and symlinks); a later build compares their stamps to skip work.</summary>
    public SortedSet<string> Inputs { get; } = new(StringComparer.Ordinal);

    public void Add(RootfsRequest request)
    {
        foreach (var executable in request.Executables)
        {
            RequireAbsolute(executable, "executable");
            AddHostPath(executable, "executable");
            foreach (var library in resolver.Closure(executable))
            {
                AddHostPath(library, $"library of {executable}");
            }
        }
        foreach (var file in request.ExtraFiles)
        {
            RequireAbsolute(file, "extra file");
            AddHostPath(file, "extra file");
        }
        foreach (var (path, target) in request.Symlinks.OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            RequireAbsolute(path, "symlink");
            AddRequestedSymlink(path, target);
        }
        foreach (var config in resolver.ConfigurationFiles)
        {
            if (Tree.Resolve(config) is { } resolved)
            {
                Inputs.Add(resolved.RealPath);
            }
        }
        AddBaseline();
    }

    private void AddHostPath(string path, string role)
    {
        var resolved = Tree.Resolve(path)
            ?? throw new LightNfvException(ErrorKind.NotFound, $"{role} '{path}' does not exist on this host; install it or remove it from the image");
        AddHops(resolved.Links);
        if (resolved.IsDirectory)
        {
            throw new LightNfvException(ErrorKind.Invalid, $"{role} '{path}' is a directory; list the files the image needs instead");
        }
        if (PseudoFilesystems.Any(p => resolved.RealPath.StartsWith(p + "/", StringComparison.Ordinal)))
        {
            throw new LightNfvException(ErrorKind.Invalid,
                $"{role} '{path}' lives on a kernel filesystem ({resolved.RealPath}); the runtime mounts /proc, /sys and /dev itself, leave it out");
        }
        if (Entries.ContainsKey(resolved.RealPath))
        {
            return;
        }
        var host = Tree.ToHost(resolved.RealPath);
        var info = new FileInfo(host);
        AddParents(resolved.RealPath);
        Entries[resolved.RealPath] = new RootfsEntry(resolved.RealPath, RootfsEntryKind.File, FileModes.Get(host))
        {
            HostPath = host,
            Size = info.Length,
        };
        Inputs.Add(resolved.RealPath);
    }

    private void AddHops(IEnumerable<SymlinkHop> hops)
    {
        foreach (var hop in hops)
        {
            Inputs.Add(hop.Path);
            if (Entries.ContainsKey(hop.Path))
            {
                continue;
            }
            AddParents(hop.Path);
            Entries[hop.Path] = new RootfsEntry(hop.Path, RootfsEntryKind.Symlink, (UnixFileMode)0b111_111_111) { LinkTarget = hop.Target };
        }
    }

    private void AddRequestedSymlink(string path, string target)
    {
        // Place the link where the host's layout puts its directory (e.g. /bin/sh lands in usr/bin on merged-usr).
        var name = Path.GetFileName(path);
        var location = path;
        if (Tree.Resolve(HostTree.Parent(path)) is { IsDirectory: true } parent)
        {
            AddHops(parent.Links);
            location = HostTree.Join(parent.RealPath, name);
        }
        if (Entries.TryGetValue(location, out var existing))
        {
            if (existing.Kind == RootfsEntryKind.Symlink && existing.LinkTarget == target)
            {
                return;
            }
            throw new LightNfvException(ErrorKind.Conflict,
                $"symlink '{path}' -> '{target}' collides with {existing.Kind.ToString().ToLowerInvariant()} '{location}' already in the image; drop one of them");
        }
        AddParents(location);
        Entries[location] = new RootfsEntry(location, RootfsEntryKind.Symlink, (UnixFileMode)0b111_111_111) { LinkTarget = target };
    }

    private void AddParents(string path)
    {
        for (var directory = HostTree.Parent(path); directory != "/"; directory = HostTree.Parent(directory))
        {
            if (Entries.TryGetValue(directory, out var existing))
            {
                if (existing.Kind != RootfsEntryKind.Directory)
                {
                    throw new LightNfvException(ErrorKind.Conflict,
                        $"'{path}' needs '{directory}' to be a directory, but the image already has it as a {existing.Kind.ToString().ToLowerInvariant()}; drop one of them");
                }
                continue;
            }
            var host = Tree.ToHost(directory);
            // Parents handed in here are real host directories; a missing one belongs to a requested symlink.
            var mode = Directory.Exists(host) && new FileInfo(host).LinkTarget is null ? FileModes.Get(host) : Directory0755;
            Entries[directory] = new RootfsEntry(directory, RootfsEntryKind.Directory, mode);
        }
    }

    /// <summary>Mount points and the minimal /etc that libc and most tools expect; anything the request brought wins.</summary>
    private void AddBaseline()
    {
        AddDirectory("/proc", (UnixFileMode)0b101_101_101);
        AddDirectory("/sys", (UnixFileMode)0b101_101_101);
        AddDirectory("/dev", Directory0755);
        AddDirectory("/tmp", UnixFileMode.StickyBit | (UnixFileMode)0b111_111_111);
        AddDirectory("/etc", Directory0755);
        AddDirectory("/run", Directory0755);
        AddGenerated("/etc/passwd",
            "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
        AddGenerated("/etc/group", "root:x:0:\nnogroup:x:65534:\n");
        AddGenerated("/etc/hosts", "127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n");
        // Only "files": glibc has nss_files built in, so no libnss_* module has to be in the image.
        AddGenerated("/etc/nsswitch.conf", "passwd: files\ngroup: files\nhosts: files\n");
    }

    private void AddDirectory(string path, UnixFileMode mode) =>
        Entries.TryAdd(path, new RootfsEntry(path, RootfsEntryKind.Directory, mode));

    private void AddGenerated(string path, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        Entries.TryAdd(path, new RootfsEntry(path, RootfsEntryKind.File, File0644) { Content = bytes, Size = bytes.Length });
    }

    private static void RequireAbsolute(string path, string role)
    {
        if (!path.StartsWith('/'))
        {
            throw new LightNfvException(ErrorKind.Invalid, $"{role} '{path}' is not an absolute path; give the full host path (e.g. /usr/bin/iperf3)");
        }
    }
}

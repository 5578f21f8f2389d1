using LightNfv.Core.Errors;

namespace LightNfv.Images.Paths;

/// <summary>One symlink met while resolving a path: where it lives (its parent is a real directory) and what it says.</summary>
public sealed record SymlinkHop(string Path, string Target);

/// <summary>Where a path really leads inside a tree, and the symlinks crossed on the way, in the order crossed.</summary>
public sealed record PathResolution(string RealPath, IReadOnlyList<SymlinkHop> Links, bool IsDirectory);

/// <summary>
/// A filesystem seen from a root prefix, resolving symlinks the way the kernel does inside a chroot,
/// so an absolute link in a fake test tree (or a sysroot) never escapes to the real host.
/// Paths handed in and out are absolute paths inside the tree.
/// </summary>
public sealed class HostTree
{
    // Linux gives up after 40 links (ELOOP); we do the same so a cycle fails instead of spinning.
    private const int MaxSymlinkHops = 40;

    public HostTree(string root)
    {
        var full = Path.GetFullPath(root);
        Root = full == "/" ? "/" : full.TrimEnd('/');
    }

    /// <summary>The running host's own filesystem.</summary>
    public static HostTree Host { get; } = new("/");

    /// <summary>The host directory that stands for "/" in this tree.</summary>
    public string Root { get; }

    /// <summary>The host path of an absolute path inside the tree.</summary>
    public string ToHost(string path)
    {
        if (!path.StartsWith('/'))
        {
            throw new ArgumentException($"'{path}' is not an absolute path", nameof(path));
        }
        return Root == "/" ? path : Root + path;
    }

    /// <summary>Follows every symlink in <paramref name="path"/> inside the tree; null when a component does not exist.</summary>
    public PathResolution? Resolve(string path)
    {
        if (!path.StartsWith('/'))
        {
            throw new ArgumentException($"'{path}' is not an absolute path", nameof(path));
        }

        var links = new List<SymlinkHop>();
        // Components still to walk, next one on top.
        var pending = new Stack<string>(Components(path).Reverse());
        var current = "";
        var currentIsDirectory = true;
        while (pending.Count > 0)
        {
            var component = pending.Pop();
            if (!currentIsDirectory)
            {
                return null; // ENOTDIR: a file in the middle of a path.
            }
            if (component == ".")
            {
                continue;
            }
            if (component == "..")
            {
                var slash = current.LastIndexOf('/');
                current = slash <= 0 ? "" : current[..slash];
                continue;
            }

            var candidate = current + "/" + component;
            var host = ToHost(candidate);
            var info = new FileInfo(host);
            if (info.LinkTarget is { } target)
            {
                if (links.Count >= MaxSymlinkHops)
                {
                    throw new LightNfvException(ErrorKind.Invalid,
                        $"'{path}' crosses more than {MaxSymlinkHops} symlinks (a symlink loop?); fix the links under {Root}");
                }
                links.Add(new SymlinkHop(candidate, target));
                foreach (var part in Components(target).Reverse())
                {
                    pending.Push(part);
                }
                if (target.StartsWith('/'))
                {
                    current = "";
                }
                continue;
            }
            if (Directory.Exists(host))
            {
                current = candidate;
                currentIsDirectory = true;
            }
            else if (info.Exists)
            {
                current = candidate;
                currentIsDirectory = false;
            }
            else
            {
                return null;
            }
        }
        return new PathResolution(current.Length == 0 ? "/" : current, links, currentIsDirectory);
    }

    /// <summary>
    /// Drops "." and empty components and folds "dir/.." only where dir is a real directory,
    /// because after a symlink ".." climbs from the link's target, not lexically.
    /// </summary>
    public string Clean(string path)
    {
        var kept = new List<string>();
        foreach (var component in Components(path))
        {
            if (component == ".")
            {
                continue;
            }
            if (component == ".." && kept.Count > 0 && kept[^1] != "..")
            {
                var prefix = "/" + string.Join('/', kept);
                if (Resolve(prefix) is { Links.Count: 0, IsDirectory: true })
                {
                    kept.RemoveAt(kept.Count - 1);
                    continue;
                }
            }
            else if (component == ".." && kept.Count == 0)
            {
                continue; // "/.." is "/".
            }
            kept.Add(component);
        }
        return "/" + string.Join('/', kept);
    }

    /// <summary>Expands a shell glob (*, ?, [...]) component by component inside the tree, sorted like glob(3).</summary>
    public IReadOnlyList<string> Glob(string pattern)
    {
        var matches = new List<string> { "" };
        foreach (var component in Components(pattern))
        {
            var next = new List<string>();
            var isPattern = component.IndexOfAny(['*', '?', '[']) >= 0;
            foreach (var prefix in matches)
            {
                if (!isPattern)
                {
                    next.Add(prefix + "/" + component);
                    continue;
                }
                var directory = Resolve(prefix.Length == 0 ? "/" : prefix);
                if (directory is not { IsDirectory: true })
                {
                    continue;
                }
                var regex = GlobRegex(component);
                var names = Directory.EnumerateFileSystemEntries(ToHost(directory.RealPath))
                    .Select(Path.GetFileName)
                    .OfType<string>()
                    // glob(3) hides dot files unless the pattern itself starts with a dot.
                    .Where(name => (component.StartsWith('.') || !name.StartsWith('.')) && regex.IsMatch(name))
                    .Order(StringComparer.Ordinal);
                next.AddRange(names.Select(name => prefix + "/" + name));
            }
            matches = next;
        }
        return matches.Where(m => m.Length > 0 && Resolve(m) is not null).ToList();
    }

    /// <summary>The parent directory of an absolute path ("/" for top-level entries).</summary>
    public static string Parent(string path)
    {
        var slash = path.TrimEnd('/').LastIndexOf('/');
        return slash <= 0 ? "/" : path[..slash];
    }

    /// <summary>Joins an absolute directory and a relative name.</summary>
    public static string Join(string directory, string name) =>
        directory.EndsWith('/') ? directory + name : directory + "/" + name;

    private static IEnumerable<string> Components(string path) =>
        path.Split('/', StringSplitOptions.RemoveEmptyEntries);

    private static System.Text.RegularExpressions.Regex GlobRegex(string component)
    {
        var builder = new System.Text.StringBuilder("^");
        for (var i = 0; i < component.Length; i++)
        {
            var c = component[i];
            switch (c)
            {
                case '*':
                    builder.Append(".*");
                    break;
                case '?':
                    builder.Append('.');
                    break;
                case '[' when component.IndexOf(']', i + 1) is var close and > 0:
                    var set = component[(i + 1)..close];
                    if (set.StartsWith('!'))
                    {
                        set = "^" + set[1..];
                    }
                    builder.Append('[').Append(set.Replace("\\", "\\\\")).Append(']');
                    i = close;
                    break;
                default:
                    builder.Append(System.Text.RegularExpressions.Regex.Escape(c.ToString()));
                    break;
            }
        }
        return new System.Text.RegularExpressions.Regex(builder.Append('$').ToString(),
            System.Text.RegularExpressions.RegexOptions.CultureInvariant);
    }
}

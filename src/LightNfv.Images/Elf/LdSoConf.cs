using LightNfv.Images.Paths;

namespace LightNfv.Images.Elf;

/// <summary>
/// Reads ld.so.conf the way ldconfig does: one directory per line, '#' comments, "include" lines with
/// globs (relative ones are taken from the including file's directory), "hwcap" lines ignored.
/// </summary>
public static class LdSoConf
{
    /// <summary>The directories named, in order, without duplicates; <paramref name="files"/> gets every file read.</summary>
    public static IReadOnlyList<string> Directories(HostTree tree, string confPath, ICollection<string>? files = null)
    {
        var directories = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var visiting = new HashSet<string>(StringComparer.Ordinal);
        Parse(tree, confPath, directories, seen, visiting, files);
        return directories;
    }

    private static void Parse(HostTree tree, string confPath, List<string> directories, HashSet<string> seen,
        HashSet<string> visiting, ICollection<string>? files)
    {
        var resolved = tree.Resolve(confPath);
        // A missing ld.so.conf is normal on minimal systems; the loader then uses only its defaults.
        if (resolved is null || resolved.IsDirectory || !visiting.Add(resolved.RealPath))
        {
            return;
        }
        files?.Add(confPath);
        foreach (var raw in File.ReadLines(tree.ToHost(resolved.RealPath)))
        {
            var hash = raw.IndexOf('#');
            var line = (hash >= 0 ? raw[..hash] : raw).Trim();
            if (line.Length == 0)
            {
                continue;
            }
            if (IsKeyword(line, "include"))
            {
                foreach (var pattern in line[7..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
                {
                    var absolute = pattern.StartsWith('/') ? pattern : HostTree.Join(HostTree.Parent(confPath), pattern);
                    foreach (var included in tree.Glob(absolute))
                    {
                        Parse(tree, included, directories, seen, visiting, files);
                    }
                }
                continue;
            }
            if (IsKeyword(line, "hwcap"))
            {
                continue;
            }
            // Old ldconfig syntax "dir=libtype": the type is advisory.
            var equals = line.IndexOf('=');
            var directory = (equals >= 0 ? line[..equals] : line).TrimEnd();
            directory = directory.Length > 1 ? directory.TrimEnd('/') : directory;
            if (directory.StartsWith('/') && seen.Add(directory))
            {
                directories.Add(directory);
            }
        }
        visiting.Remove(resolved.RealPath);
    }

    private static bool IsKeyword(string line, string keyword) =>
        line.Length > keyword.Length && line.StartsWith(keyword, StringComparison.OrdinalIgnoreCase)
        && line[keyword.Length] is ' ' or '\t';
}

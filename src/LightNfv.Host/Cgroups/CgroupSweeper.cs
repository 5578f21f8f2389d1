namespace LightNfv.Host.Cgroups;

/// <summary>
/// Removes a cgroup path from every cgroup hierarchy mounted on the host, not only the ones a driver manages:
/// OCI runtimes create their cgroups in all v1 hierarchies (systemd, blkio, devices, ...) and in cgroup2 mounts, and
/// leave the parent directories behind when they delete a container.
/// </summary>
public static class CgroupSweeper
{
    /// <summary>Removes <paramref name="relativePath"/> and everything below it (deepest first) in every hierarchy; returns the directories it could not remove.</summary>
    public static IReadOnlyList<string> RemoveEverywhere(string relativePath)
    {
        var left = new List<string>();
        foreach (var mount in MountInfo.Read().Where(m => m.FsType is "cgroup" or "cgroup2").Select(m => m.MountPoint).Distinct())
        {
            var dir = Path.Combine(mount, relativePath.TrimStart('/'));
            if (!Directory.Exists(dir))
            {
                continue;
            }
            // Cgroup directories hold only interface files, which rmdir ignores; children must go first.
            var dirs = Directory.EnumerateDirectories(dir, "*", SearchOption.AllDirectories).OrderByDescending(d => d.Length).Append(dir);
            foreach (var d in dirs)
            {
                if (!TryRemove(d))
                {
                    left.Add(d);
                }
            }
        }
        return left;
    }

    private static bool TryRemove(string dir)
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            try
            {
                Directory.Delete(dir);
                return true;
            }
            catch (DirectoryNotFoundException)
            {
                return true;
            }
            catch (IOException)
            {
                // EBUSY while a just-killed task is released: a few milliseconds.
                Thread.Sleep(10);
            }
        }
        return false;
    }
}

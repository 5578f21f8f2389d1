using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;

namespace LightNfv.Host.Cgroups;

/// <summary>
/// CPU pinning on v1: the cpuset hierarchy is used only by cgroups that ask for pinning. A v1 cpuset directory starts
/// with empty cpuset.cpus and cpuset.mems, and a process cannot join it until both are set, so every level made here is
/// filled from its parent first (what docker does); making one for every instance would cost each create those writes
/// for nothing.
/// </summary>
public sealed partial class CgroupV1Driver
{
    public const string CpusetController = "cpuset";

    /// <summary>The instance's cpuset directory when it has one (it asked for pinning once).</summary>
    private IEnumerable<string> CpusetDir(string rel) =>
        Dir(CpusetController, rel) is { } dir && Directory.Exists(dir) ? [dir] : [];

    /// <summary>
    /// Pins the cgroup to <paramref name="cpus"/>: makes its cpuset directory if needed and moves the processes already
    /// in the cgroup into it (a live resize). Null unpins a cgroup that has one (back to every CPU of its parent).
    /// </summary>
    private void WriteCpuSet(string rel, string? cpus, ICgroup cgroup)
    {
        if (cpus is null)
        {
            if (CpusetDir(rel).FirstOrDefault() is { } pinned)
            {
                CgroupFs.Write(Path.Combine(pinned, "cpuset.cpus"), CgroupFs.TryRead(Path.Combine(Path.GetDirectoryName(pinned)!, "cpuset.cpus"))?.Trim() ?? "");
            }
            return;
        }
        var root = _roots[CpusetController];
        CheckOnHost(cpus, CgroupFs.TryRead(Path.Combine(root, "cpuset.effective_cpus")) ?? CgroupFs.TryRead(Path.Combine(root, "cpuset.cpus")));
        var dir = root;
        string? firstMade = null;
        try
        {
            foreach (var seg in rel.Split('/'))
            {
                var parent = dir;
                dir = Path.Combine(dir, seg);
                if (CgroupFs.MakeDir(dir))
                {
                    firstMade ??= dir;
                }
                foreach (var file in new[] { "cpuset.mems", "cpuset.cpus" })
                {
                    if (string.IsNullOrWhiteSpace(CgroupFs.TryRead(Path.Combine(dir, file))))
                    {
                        CgroupFs.Write(Path.Combine(dir, file), CgroupFs.TryRead(Path.Combine(parent, file))?.Trim() ?? "");
                    }
                }
            }
            CgroupFs.Write(Path.Combine(dir, "cpuset.cpus"), cpus);
            // Processes already running (a resize) follow; new ones join through ProcsFiles, which now lists this directory.
            var procs = Path.Combine(dir, "cgroup.procs");
            foreach (var pid in cgroup.Pids())
            {
                try
                {
                    CgroupFs.Write(procs, CgroupFs.Invariant(pid));
                }
                catch (LightNfvException) when (!Directory.Exists($"/proc/{pid}"))
                {
                    // It exited between the read and the move.
                }
            }
        }
        catch when (firstMade is not null)
        {
            // Nothing half-made: remove the directories this call created, deepest first.
            for (var d = dir; d.Length >= firstMade.Length; d = Path.GetDirectoryName(d)!)
            {
                CgroupFs.RemoveDir(d);
            }
            throw;
        }
    }

    /// <summary>Refuses CPUs the host does not have, naming the field (the kernel's EINVAL alone says nothing).</summary>
    internal static void CheckOnHost(string cpus, string? hostCpus)
    {
        var (wanted, error) = CpuList.Parse(cpus);
        if (error is not null)
        {
            throw new DescriptorException("spec.resources.cpuset", $"'{cpus}' {error}");
        }
        if (hostCpus is null || CpuList.Parse(hostCpus.Trim()) is not { Error: null } host)
        {
            return;
        }
        var missing = wanted.Except(host.Cpus).ToList();
        if (missing.Count > 0)
        {
            throw new DescriptorException("spec.resources.cpuset",
                $"'{cpus}' names CPU {string.Join(", ", missing)}, which this host does not offer (it has {hostCpus.Trim()}); pin to CPUs in that list or omit the field");
        }
    }
}

using LightNfv.Core.Errors;
using LightNfv.Host.Cgroups;

namespace LightNfv.Host.Tests.Cgroups;

/// <summary>CPU pinning (CgroupLimits.CpuSet) on fake v1 and v2 trees: made only when asked, filled as the kernel needs, undone on failure.</summary>
public sealed class CgroupCpuSetTests : IDisposable
{
    private readonly FakeCgroupTree _fs = new();

    public void Dispose() => _fs.Dispose();

    private CgroupV1Driver V1()
    {
        var roots = new[] { "memory", "cpu", "cpuacct", "pids" }.ToDictionary(c => c, c => _fs.MakeV1Root(c));
        roots["cpuset"] = _fs.MakeDir("cpuset", ("cgroup.procs", ""), ("cpuset.cpus", "0-1\n"), ("cpuset.mems", "0\n"));
        return new CgroupV1Driver(roots);
    }

    [Fact]
    public void V1_pinning_fills_each_new_cpuset_level_from_its_parent_and_moves_running_processes_in()
    {
        var driver = V1();
        driver.Create("lightnfv/abc", new CgroupLimits(64L << 20, 1, 64));
        _fs.Write("memory/lightnfv/abc/cgroup.procs", "4242\n");

        var cg = driver.Create("lightnfv/abc", new CgroupLimits(64L << 20, 1, 64) { CpuSet = "1" });

        _fs.Read("cpuset/lightnfv/cpuset.cpus").ShouldBe("0-1");
        _fs.Read("cpuset/lightnfv/cpuset.mems").ShouldBe("0");
        _fs.Read("cpuset/lightnfv/abc/cpuset.mems").ShouldBe("0");
        _fs.Read("cpuset/lightnfv/abc/cpuset.cpus").ShouldBe("1");
        _fs.Read("cpuset/lightnfv/abc/cgroup.procs").ShouldBe("4242");
        cg.ProcsFiles.ShouldContain(_fs.Dir("cpuset", "lightnfv", "abc", "cgroup.procs"));

        // Unpinned again: back to every CPU of the parent.
        driver.Create("lightnfv/abc", new CgroupLimits(64L << 20, 1, 64));
        _fs.Read("cpuset/lightnfv/abc/cpuset.cpus").ShouldBe("0-1");
    }

    [Fact]
    public void V1_a_cpu_the_host_lacks_is_refused_naming_the_field_and_makes_no_cpuset_directory()
    {
        var driver = V1();
        var e = Should.Throw<DescriptorException>(() => driver.Create("lightnfv/abc", new CgroupLimits(64L << 20, 1, 64) { CpuSet = "0-3" }));
        e.Field.ShouldBe("spec.resources.cpuset");
        e.Message.ShouldContain("names CPU 2, 3, which this host does not offer (it has 0-1)");
        _fs.Exists("cpuset/lightnfv").ShouldBeFalse();
    }

    [Fact]
    public void V2_pinning_enables_cpuset_only_on_the_pinned_path_and_empty_unpins()
    {
        var driver = new CgroupV2Driver(_fs.MakeV2Root());
        driver.Create("lightnfv/plain", new CgroupLimits(64L << 20, 1, 64));
        _fs.Read("v2/cgroup.subtree_control").ShouldBe("+memory +cpu +pids");

        driver.Create("lightnfv/abc", new CgroupLimits(64L << 20, 1, 64) { CpuSet = "0" });
        _fs.Read("v2/cgroup.subtree_control").ShouldContain("+cpuset");
        _fs.Read("v2/lightnfv/abc/cpuset.cpus").ShouldBe("0");

        driver.Create("lightnfv/abc", new CgroupLimits(64L << 20, 1, 64));
        _fs.Read("v2/lightnfv/abc/cpuset.cpus").ShouldBe("");
    }
}

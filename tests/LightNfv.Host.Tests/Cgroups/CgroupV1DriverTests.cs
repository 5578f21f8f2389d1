using LightNfv.Core.Errors;
using LightNfv.Host.Cgroups;

namespace LightNfv.Host.Tests.Cgroups;

public sealed class CgroupV1DriverTests : IDisposable
{
    private readonly FakeCgroupTree _fs = new();

    public void Dispose() => _fs.Dispose();

    /// <summary>This machine kind's layout: one hierarchy per controller.</summary>
    private CgroupV1Driver Separate(params string[] controllers)
    {
        if (controllers.Length == 0)
        {
            controllers = ["memory", "cpu", "cpuacct", "pids"];
        }
        return new CgroupV1Driver(controllers.ToDictionary(c => c, c => _fs.MakeV1Root(c)));
    }

    [Fact]
    public void Create_makes_the_cgroup_in_every_hierarchy_and_writes_limits()
    {
        var driver = Separate();
        var cg = driver.Create("lightnfv/abc", new CgroupLimits(64L << 20, 1.5, 100));

        driver.Version.ShouldBe("v1");
        foreach (var c in new[] { "memory", "cpu", "cpuacct", "pids" })
        {
            _fs.Exists($"{c}/lightnfv/abc").ShouldBeTrue();
        }
        _fs.Read("memory/lightnfv/abc/memory.limit_in_bytes").ShouldBe("67108864");
        _fs.Exists("memory/lightnfv/abc/memory.memsw.limit_in_bytes").ShouldBeFalse(); // no swap accounting in this fake
        _fs.Exists("cpu/lightnfv/abc/cpu.cfs_period_us").ShouldBeFalse("a new cgroup keeps the kernel's default period, 100000, which is ours");
        _fs.Read("cpu/lightnfv/abc/cpu.cfs_quota_us").ShouldBe("150000");
        _fs.Read("pids/lightnfv/abc/pids.max").ShouldBe("100");
        cg.ProcsFiles.ShouldBe(new[] { "memory", "cpu", "cpuacct", "pids" }.Select(c => _fs.Dir(c, "lightnfv", "abc", "cgroup.procs")));
    }

    [Fact]
    public void The_group_holding_the_instances_weighs_one_default_task_per_cpu_set_once()
    {
        var driver = Separate();
        driver.Create("lightnfv/abc", new CgroupLimits(null, 1, null));
        _fs.Read("cpu/lightnfv/cpu.shares").ShouldBe(CgroupFs.Invariant(1024L * Environment.ProcessorCount));
        _fs.Write("cpu/lightnfv/cpu.shares", "1024");
        driver.Create("lightnfv/def", new CgroupLimits(null, 1, null));
        _fs.Read("cpu/lightnfv/cpu.shares").ShouldBe("1024", "once per process: an operator's own choice afterwards is left alone");
        _fs.Exists("cpu/lightnfv/abc/cpu.shares").ShouldBeFalse("an instance keeps the default weight");
        driver.Create("top", new CgroupLimits(null, null, null));
        _fs.Exists("cpu/cpu.shares").ShouldBeFalse("a top-level cgroup has no parent of ours to weigh");
    }

    [Fact]
    public void Memsw_is_set_equal_to_the_memory_limit_where_it_exists()
    {
        const string unlimited = "9223372036854771712";
        _fs.MakeDir("memory", ("memory.memsw.limit_in_bytes", unlimited)); // the root has it where swap is accounted
        var driver = Separate();
        _fs.MakeDir("memory/lightnfv/abc", ("memory.limit_in_bytes", unlimited), ("memory.memsw.limit_in_bytes", unlimited));

        driver.Create("lightnfv/abc", new CgroupLimits(32L << 20, null, null));
        _fs.Read("memory/lightnfv/abc/memory.limit_in_bytes").ShouldBe("33554432");
        _fs.Read("memory/lightnfv/abc/memory.memsw.limit_in_bytes").ShouldBe("33554432");

        // Raising (the order matters to the kernel; the real-host test checks it there).
        driver.Create("lightnfv/abc", new CgroupLimits(64L << 20, null, null));
        _fs.Read("memory/lightnfv/abc/memory.limit_in_bytes").ShouldBe("67108864");
        _fs.Read("memory/lightnfv/abc/memory.memsw.limit_in_bytes").ShouldBe("67108864");

        // Reused with no limit: back to unlimited, and cpu/pids reset too.
        driver.Create("lightnfv/abc", new CgroupLimits(null, null, null));
        _fs.Read("memory/lightnfv/abc/memory.limit_in_bytes").ShouldBe("-1");
        _fs.Read("memory/lightnfv/abc/memory.memsw.limit_in_bytes").ShouldBe("-1");
        _fs.Read("cpu/lightnfv/abc/cpu.cfs_quota_us").ShouldBe("-1");
        _fs.Read("pids/lightnfv/abc/pids.max").ShouldBe("max");
    }

    [Fact]
    public void Combined_cpu_cpuacct_hierarchy_is_one_directory()
    {
        var cpu = _fs.MakeV1Root("cpu,cpuacct");
        var driver = new CgroupV1Driver(new Dictionary<string, string>
        {
            ["memory"] = _fs.MakeV1Root("memory"),
            ["cpu"] = cpu,
            ["cpuacct"] = cpu,
            ["pids"] = _fs.MakeV1Root("pids"),
        });
        var cg = driver.Create("x", new CgroupLimits(null, 0.5, null));

        cg.ProcsFiles.ShouldBe([_fs.Dir("memory", "x", "cgroup.procs"), _fs.Dir("cpu,cpuacct", "x", "cgroup.procs"), _fs.Dir("pids", "x", "cgroup.procs")]);
        _fs.Read("cpu,cpuacct/x/cpu.cfs_quota_us").ShouldBe("50000");
        _fs.Write("cpu,cpuacct/x/cpuacct.usage", "777\n");
        cg.ReadStats().CpuNanoseconds.ShouldBe(777UL);
        cg.Remove().ShouldBeTrue();
        _fs.Exists("cpu,cpuacct/x").ShouldBeFalse();
    }

    [Fact]
    public void Discovers_hierarchies_from_a_mountinfo_file()
    {
        _fs.MakeV1Root("cpu,cpuacct");
        _fs.MakeV1Root("memory");
        var mountinfo = _fs.Dir("mountinfo");
        File.WriteAllText(mountinfo, $"""
            28 24 0:24 / {_fs.Dir("cpu,cpuacct")} rw,nosuid shared:12 - cgroup cgroup rw,cpu,cpuacct
            29 24 0:25 / {_fs.Dir("memory")} rw,nosuid shared:13 - cgroup cgroup rw,memory
            25 24 0:21 / {_fs.Dir("systemd")} rw,nosuid shared:9 - cgroup cgroup rw,xattr,name=systemd
            """);
        var driver = new CgroupV1Driver(mountinfo);
        driver.Roots.Keys.Order().ShouldBe(["cpu", "cpuacct", "memory"]);
        driver.Create("y", new CgroupLimits(1 << 20, 1, null)).ProcsFiles.Count.ShouldBe(2);
        // pids is not mounted here, so a pids limit cannot be honoured.
        Should.Throw<LightNfvException>(() => driver.Create("z", new CgroupLimits(null, null, 4))).Kind.ShouldBe(ErrorKind.Unavailable);
    }

    [Fact]
    public void ReadStats_parses_the_interface_files()
    {
        var driver = Separate();
        var cg = driver.Create("s", new CgroupLimits(null, null, null));
        _fs.Write("cpuacct/s/cpuacct.usage", "5000000\n");
        _fs.Write("memory/s/memory.usage_in_bytes", "2097152\n");
        _fs.Write("memory/s/memory.limit_in_bytes", "9223372036854771712\n");
        _fs.Write("memory/s/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
        _fs.Write("pids/s/pids.current", "2\n");
        _fs.Write("pids/s/pids.max", "max\n");

        cg.ReadStats().ShouldBe(new CgroupStats(5_000_000, 2_097_152, null, 2, null, 3));

        _fs.Write("memory/s/memory.limit_in_bytes", "33554432\n");
        _fs.Write("pids/s/pids.max", "16\n");
        var st = cg.ReadStats();
        st.MemoryLimitBytes.ShouldBe(33554432UL);
        st.PidsLimit.ShouldBe(16UL);
    }

    [Fact]
    public void Memory_is_the_exact_private_charge_from_memory_stat_not_the_batched_usage()
    {
        var driver = Separate();
        var cg = driver.Create("m", new CgroupLimits(null, null, null));
        // Real figures of an idle iperf3: usage_in_bytes carries the per-CPU charge batch on top.
        _fs.Write("memory/m/memory.usage_in_bytes", "782336\n");
        _fs.Write("memory/m/memory.stat", "cache 0\nrss 552960\ntotal_cache 4096\ntotal_rss 552960\ntotal_shmem 0\n");
        _fs.Write("memory/m/memory.kmem.usage_in_bytes", "90112\n");

        var st = cg.ReadStats();
        st.MemoryBytes.ShouldBe(552_960UL + 90_112UL);
        st.FileCacheBytes.ShouldBe(4_096UL);
    }

    [Fact]
    public void Tmpfs_pages_count_as_the_instances_own_memory_and_file_pages_of_the_image_do_not()
    {
        var driver = Separate();
        var cg = driver.Create("m", new CgroupLimits(null, null, null));
        // An instance that read 1 MB of the image's libraries first (charged to it) and wrote 64 KB to /dev/shm.
        _fs.Write("memory/m/memory.stat", "total_cache 1114112\ntotal_rss 552960\ntotal_shmem 65536\n");
        _fs.Write("memory/m/memory.kmem.usage_in_bytes", "90112\n");

        var st = cg.ReadStats();
        st.MemoryBytes.ShouldBe(552_960UL + 65_536UL + 90_112UL);
        st.FileCacheBytes.ShouldBe(1_048_576UL);
    }

    [Fact]
    public void Pids_is_the_union_over_hierarchies()
    {
        var driver = Separate();
        var cg = driver.Create("p", new CgroupLimits(null, null, null));
        _fs.Write("memory/p/cgroup.procs", "1\n2\n");
        _fs.Write("pids/p/cgroup.procs", "3\n2\n");
        cg.Pids().ShouldBe([1, 2, 3]);
    }

    [Fact]
    public void Open_and_ListChildren_span_hierarchies()
    {
        var driver = Separate();
        driver.Open("lightnfv/m1").ShouldBeNull();
        _fs.MakeDir("memory/lightnfv/m1");
        _fs.MakeDir("cpu/lightnfv/c1");
        _fs.MakeDir("pids/lightnfv/c1");

        driver.Open("lightnfv/m1").ShouldNotBeNull();
        driver.Open("lightnfv/c1")!.ProcsFiles.Count.ShouldBe(4);
        driver.ListChildren("lightnfv").ShouldBe(["c1", "m1"]);
        driver.ListChildren("").ShouldBe(["lightnfv"]);
        driver.ListChildren("missing").ShouldBeEmpty();
    }

    [Fact]
    public void Remove_deletes_every_hierarchys_directory()
    {
        var driver = Separate();
        var cg = driver.Create("lightnfv/abc", new CgroupLimits(64L << 20, 1.5, 100));
        cg.Remove().ShouldBeTrue();
        foreach (var c in new[] { "memory", "cpu", "cpuacct", "pids" })
        {
            _fs.Exists($"{c}/lightnfv/abc").ShouldBeFalse();
            _fs.Exists($"{c}/lightnfv").ShouldBeTrue();
        }
        driver.Open("lightnfv/abc").ShouldBeNull();
        cg.Remove().ShouldBeTrue();
    }

    [Fact]
    public void Remove_leaves_a_cgroup_with_children_and_reports_it()
    {
        var driver = Separate();
        var parent = driver.Create("p", new CgroupLimits(null, null, null));
        driver.Create("p/c", new CgroupLimits(null, null, null));
        parent.Remove().ShouldBeFalse();
        _fs.Exists("memory/p/c").ShouldBeTrue();
    }

    [Fact]
    public void KillAll_on_an_empty_cgroup_returns_at_once()
    {
        var cg = Separate().Create("k", new CgroupLimits(null, null, null));
        cg.KillAll(TimeSpan.FromSeconds(5)).ShouldBeTrue();
    }

    [Fact]
    public void KillAll_never_signals_this_process()
    {
        var cg = Separate().Create("self", new CgroupLimits(null, null, null));
        _fs.Write("memory/self/cgroup.procs", $"{Environment.ProcessId}\n");
        cg.KillAll(TimeSpan.FromMilliseconds(30)).ShouldBeFalse();
    }

    [Fact]
    public void Constructor_rejects_unknown_controllers_and_relative_roots()
    {
        Should.Throw<LightNfvException>(() => new CgroupV1Driver(new Dictionary<string, string> { ["blkio"] = "/x" })).Kind.ShouldBe(ErrorKind.Invalid);
        Should.Throw<LightNfvException>(() => new CgroupV1Driver(new Dictionary<string, string> { ["memory"] = "rel" })).Kind.ShouldBe(ErrorKind.Invalid);
        Should.Throw<LightNfvException>(() => new CgroupV1Driver(new Dictionary<string, string>())).Kind.ShouldBe(ErrorKind.Unavailable);
    }
}

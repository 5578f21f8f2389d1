using LightNfv.Core.Errors;
using LightNfv.Host.Cgroups;

namespace LightNfv.Host.Tests.Cgroups;

public sealed class CgroupV2DriverTests : IDisposable
{
    private readonly FakeCgroupTree _fs = new();
    private readonly CgroupV2Driver _driver;

    public CgroupV2DriverTests()
    {
        _driver = new CgroupV2Driver(_fs.MakeV2Root());
    }

    public void Dispose() => _fs.Dispose();

    [Fact]
    public void Create_enables_controllers_along_the_path_and_writes_limits()
    {
        var cg = _driver.Create("lightnfv/abc", new CgroupLimits(64L << 20, 1.5, 100));

        _driver.Version.ShouldBe("v2");
        cg.RelativePath.ShouldBe("lightnfv/abc");
        _fs.Read("v2/cgroup.subtree_control").ShouldBe("+memory +cpu +pids");
        _fs.Read("v2/lightnfv/cgroup.subtree_control").ShouldBe("+memory +cpu +pids");
        _fs.Exists("v2/lightnfv/abc/cgroup.subtree_control").ShouldBeFalse();

        _fs.Read("v2/lightnfv/abc/memory.max").ShouldBe("67108864");
        _fs.Read("v2/lightnfv/abc/cpu.max").ShouldBe("150000 100000");
        _fs.Read("v2/lightnfv/abc/pids.max").ShouldBe("100");
        cg.ProcsFiles.ShouldBe([_fs.Dir("v2", "lightnfv", "abc", "cgroup.procs")]);
    }

    [Fact]
    public void The_group_holding_the_instances_weighs_one_default_task_per_cpu_set_once()
    {
        _fs.MakeDir("v2/lightnfv", ("cgroup.controllers", "cpu memory pids"), ("cgroup.subtree_control", ""), ("cpu.weight", "100"));
        _driver.Create("lightnfv/abc", new CgroupLimits(null, 1, null));
        _fs.Read("v2/lightnfv/cpu.weight").ShouldBe(CgroupFs.Invariant(Math.Min(10_000, 100 * Environment.ProcessorCount)));
        _fs.Write("v2/lightnfv/cpu.weight", "100"); // an operator's own choice afterwards is left alone
        _driver.Create("lightnfv/def", new CgroupLimits(null, 1, null));
        _fs.Read("v2/lightnfv/cpu.weight").ShouldBe("100");
        _fs.Exists("v2/lightnfv/abc/cpu.weight").ShouldBeFalse("an instance keeps the default weight");
    }

    [Fact]
    public void Create_skips_enabled_controllers_and_enables_only_offered_ones()
    {
        _fs.Write("v2/cgroup.controllers", "cpuset cpu io memory hugetlb");
        _fs.Write("v2/cgroup.subtree_control", "memory");
        // An intermediate level that already exists, as the kernel shows it (controllers = parent's subtree_control).
        _fs.MakeDir("v2/lightnfv", ("cgroup.controllers", "cpu memory"), ("cgroup.subtree_control", "cpu memory"));

        _driver.Create("lightnfv/abc", new CgroupLimits(1 << 20, 1, null));

        _fs.Read("v2/cgroup.subtree_control").ShouldBe("+cpu");
        _fs.Read("v2/lightnfv/cgroup.subtree_control").ShouldBe("cpu memory"); // untouched: nothing missing
        _fs.Exists("v2/lightnfv/abc/pids.max").ShouldBeFalse();
    }

    [Fact]
    public void A_limit_for_a_controller_the_root_does_not_offer_is_unavailable()
    {
        _fs.Write("v2/cgroup.controllers", "cpu memory");
        var e = Should.Throw<LightNfvException>(() => _driver.Create("x", new CgroupLimits(null, null, 10)));
        e.Kind.ShouldBe(ErrorKind.Unavailable);
        e.Message.ShouldContain("pids");
        _fs.Exists("v2/x").ShouldBeFalse();
    }

    [Fact]
    public void Swap_and_oom_group_are_written_where_present()
    {
        _fs.MakeDir("v2/lightnfv/abc", ("memory.swap.max", "max"), ("memory.oom.group", "0"));

        _driver.Create("lightnfv/abc", new CgroupLimits(64L << 20, null, null));

        _fs.Read("v2/lightnfv/abc/memory.max").ShouldBe("67108864");
        _fs.Read("v2/lightnfv/abc/memory.swap.max").ShouldBe("0");
        _fs.Read("v2/lightnfv/abc/memory.oom.group").ShouldBe("1");
        // Reused cgroup with no cpu/pids limit: reset to unlimited.
        _fs.Read("v2/lightnfv/abc/cpu.max").ShouldBe("max 100000");
        _fs.Read("v2/lightnfv/abc/pids.max").ShouldBe("max");
    }

    [Fact]
    public void Fresh_cgroup_without_limits_gets_no_limit_files()
    {
        _driver.Create("a", new CgroupLimits(null, null, null));
        _fs.Exists("v2/a").ShouldBeTrue();
        _fs.Exists("v2/a/memory.max").ShouldBeFalse();
        _fs.Exists("v2/a/cpu.max").ShouldBeFalse();
        _fs.Exists("v2/a/memory.swap.max").ShouldBeFalse();
    }

    [Theory]
    [InlineData(0.001, "1000 100000")]
    [InlineData(0.5, "50000 100000")]
    [InlineData(2, "200000 100000")]
    [InlineData(0.333333, "33333 100000")]
    public void Cpu_quota_is_rounded_with_a_1ms_floor(double cpus, string expected)
    {
        _driver.Create("c", new CgroupLimits(null, cpus, null));
        _fs.Read("v2/c/cpu.max").ShouldBe(expected);
    }

    [Fact]
    public void ReadStats_parses_the_interface_files()
    {
        _driver.Create("s", new CgroupLimits(null, null, null));
        _fs.Write("v2/s/cpu.stat", "usage_usec 123456\nuser_usec 100000\nsystem_usec 23456\nnr_periods 0\n");
        _fs.Write("v2/s/memory.current", "1048576\n");
        _fs.Write("v2/s/memory.max", "67108864\n");
        _fs.Write("v2/s/pids.current", "3\n");
        _fs.Write("v2/s/pids.max", "max\n");
        _fs.Write("v2/s/memory.events", "low 0\nhigh 0\nmax 5\noom 2\noom_kill 1\noom_group_kill 0\n");

        var st = _driver.Open("s")!.ReadStats();

        st.ShouldBe(new CgroupStats(123_456_000, 1_048_576, 67_108_864, 3, null, 1));
    }

    [Fact]
    public void Memory_leaves_out_file_cache_but_keeps_tmpfs()
    {
        _driver.Create("s", new CgroupLimits(null, null, null));
        _fs.Write("v2/s/memory.current", "2000000\n");
        _fs.Write("v2/s/memory.stat", "anon 700000\nfile 1200000\nkernel 100000\nshmem 200000\n");

        var st = _driver.Open("s")!.ReadStats();
        st.MemoryBytes.ShouldBe(2_000_000UL - 1_000_000UL);
        st.FileCacheBytes.ShouldBe(1_000_000UL);
    }

    [Fact]
    public void ReadStats_with_max_memory_and_missing_files()
    {
        _driver.Create("s", new CgroupLimits(null, null, null));
        _fs.Write("v2/s/memory.max", "max\n");
        _fs.Write("v2/s/pids.max", "16\n");
        _driver.Open("s")!.ReadStats().ShouldBe(new CgroupStats(0, 0, null, 0, 16, 0));
    }

    [Fact]
    public void ReadStats_of_a_removed_cgroup_is_not_found()
    {
        var cg = _driver.Create("gone", new CgroupLimits(1 << 20, null, null));
        cg.Remove().ShouldBeTrue();
        Should.Throw<LightNfvException>(() => cg.ReadStats()).Kind.ShouldBe(ErrorKind.NotFound);
    }

    [Fact]
    public void Remove_deletes_the_directory_and_is_idempotent()
    {
        var cg = _driver.Create("lightnfv/abc", new CgroupLimits(64L << 20, 1.5, 100));
        cg.Remove().ShouldBeTrue();
        _fs.Exists("v2/lightnfv/abc").ShouldBeFalse();
        _fs.Exists("v2/lightnfv").ShouldBeTrue();
        cg.Remove().ShouldBeTrue();
    }

    [Fact]
    public void Remove_fails_while_a_child_cgroup_exists()
    {
        var parent = _driver.Create("p", new CgroupLimits(null, null, null));
        _driver.Create("p/child", new CgroupLimits(null, null, null));
        parent.Remove().ShouldBeFalse();
        _fs.Exists("v2/p/child").ShouldBeTrue();
    }

    [Fact]
    public void Open_and_ListChildren()
    {
        _driver.Open("lightnfv/none").ShouldBeNull();
        _driver.ListChildren("lightnfv").ShouldBeEmpty();

        _driver.Create("lightnfv/b", new CgroupLimits(null, null, null));
        _driver.Create("lightnfv/a", new CgroupLimits(null, null, null));

        _driver.Open("lightnfv/a")!.RelativePath.ShouldBe("lightnfv/a");
        _driver.Open("/lightnfv/a/")!.RelativePath.ShouldBe("lightnfv/a");
        _driver.ListChildren("lightnfv").ShouldBe(["a", "b"]);
        _driver.ListChildren("").ShouldBe(["lightnfv"]);
    }

    [Fact]
    public void Pids_reads_cgroup_procs()
    {
        var cg = _driver.Create("p", new CgroupLimits(null, null, null));
        cg.Pids().ShouldBeEmpty();
        _fs.Write("v2/p/cgroup.procs", "456\n123\n");
        cg.Pids().ShouldBe([123, 456]);
    }

    [Fact]
    public void KillAll_uses_cgroup_kill_and_waits_for_procs_to_empty()
    {
        var cg = _driver.Create("k", new CgroupLimits(null, null, null));
        cg.KillAll(TimeSpan.FromMilliseconds(50)).ShouldBeTrue(); // already empty: nothing written
        _fs.Exists("v2/k/cgroup.kill").ShouldBeFalse();

        _fs.Write("v2/k/cgroup.kill", "");
        // A pid that cannot exist (above pid_max), so nothing real is ever signalled.
        _fs.Write("v2/k/cgroup.procs", "2147483600\n");
        cg.KillAll(TimeSpan.FromMilliseconds(50)).ShouldBeFalse(); // the fake never empties
        _fs.Read("v2/k/cgroup.kill").ShouldBe("1");

        _fs.Write("v2/k/cgroup.procs", "");
        cg.KillAll(TimeSpan.FromMilliseconds(50)).ShouldBeTrue();
    }

    [Theory]
    [InlineData("")]
    [InlineData("/")]
    [InlineData("../escape")]
    [InlineData("a/../../b")]
    [InlineData("a//b")]
    public void Rejects_paths_that_are_empty_or_leave_the_hierarchy(string path)
    {
        Should.Throw<LightNfvException>(() => _driver.Create(path, new CgroupLimits(null, null, null))).Kind.ShouldBe(ErrorKind.Invalid);
    }

    [Fact]
    public void Rejects_non_positive_limits()
    {
        Should.Throw<LightNfvException>(() => _driver.Create("x", new CgroupLimits(0, null, null))).Kind.ShouldBe(ErrorKind.Invalid);
        Should.Throw<LightNfvException>(() => _driver.Create("x", new CgroupLimits(null, double.NaN, null))).Kind.ShouldBe(ErrorKind.Invalid);
        Should.Throw<LightNfvException>(() => _driver.Create("x", new CgroupLimits(null, null, 0))).Kind.ShouldBe(ErrorKind.Invalid);
        _fs.Exists("v2/x").ShouldBeFalse();
    }

    [Fact]
    public void A_failed_write_names_the_file()
    {
        // A directory where an interface file should be makes open() fail (EISDIR), standing in for a kernel refusal.
        Directory.CreateDirectory(_fs.Dir("v2", "bad", "leaf", "pids.max"));
        var e = Should.Throw<LightNfvException>(() => _driver.Create("bad/leaf", new CgroupLimits(null, null, 5)));
        e.Kind.ShouldBe(ErrorKind.Host);
        e.Message.ShouldStartWith($"cgroup {_fs.Dir("v2", "bad", "leaf", "pids.max")}: ");
        e.Message.ShouldContain("'5'");
    }
}

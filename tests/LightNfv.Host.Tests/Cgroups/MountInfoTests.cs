using LightNfv.Host.Cgroups;

namespace LightNfv.Host.Tests.Cgroups;

public class MountInfoTests
{
    // This machine kind: v1 hierarchies per controller plus an (almost) empty cgroup2 at /sys/fs/cgroup/unified.
    internal const string HybridLayout = """
        22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,errors=remount-ro
        23 22 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
        31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
        33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
        34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
        35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
        40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
        41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
        """;

    internal const string PureV2Layout = """
        26 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw
        27 26 0:25 / /sys rw,nosuid,nodev,noexec,relatime shared:2 - sysfs sysfs rw
        30 27 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
        """;

    internal const string CombinedCpuLayout = """
        24 23 0:20 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:8 - tmpfs tmpfs ro,mode=755
        25 24 0:21 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:9 - cgroup cgroup rw,xattr,name=systemd
        28 24 0:24 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,cpu,cpuacct
        29 24 0:25 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,memory
        30 24 0:26 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:14 master:3 - cgroup cgroup rw,pids
        """;

    [Fact]
    public void Parses_this_machine_kinds_hybrid_layout()
    {
        var mounts = MountInfo.Parse(HybridLayout);
        mounts.Count.ShouldBe(10);

        var cpu = mounts.Single(m => m.MountId == 32);
        cpu.ParentId.ShouldBe(31);
        cpu.MajorMinor.ShouldBe("0:29");
        cpu.Root.ShouldBe("/");
        cpu.MountPoint.ShouldBe("/sys/fs/cgroup/cpu");
        cpu.MountOptions.ShouldBe("rw,relatime");
        cpu.OptionalFields.ShouldBeEmpty();
        cpu.FsType.ShouldBe("cgroup");
        cpu.Source.ShouldBe("cgroup");
        cpu.SuperOptions.ShouldBe("rw,cpu");
        cpu.SuperOptionList.ShouldBe(["rw", "cpu"]);

        var unified = mounts.Single(m => m.MountId == 41);
        unified.FsType.ShouldBe("cgroup2");
        unified.SuperOptions.ShouldBe("rw");

        mounts.Single(m => m.MountId == 23).OptionalFields.ShouldBe(["shared:7"]);

        var roots = CgroupV1Driver.DiscoverRoots(mounts);
        // cpuset too: it is used only by cgroups that pin (spec.resources.cpuset).
        roots.Count.ShouldBe(5);
        roots["cpuset"].ShouldBe("/sys/fs/cgroup/cpuset");
        roots["memory"].ShouldBe("/sys/fs/cgroup/memory");
        roots["cpu"].ShouldBe("/sys/fs/cgroup/cpu");
        roots["cpuacct"].ShouldBe("/sys/fs/cgroup/cpuacct");
        roots["pids"].ShouldBe("/sys/fs/cgroup/pids");
    }

    [Fact]
    public void Parses_a_pure_v2_layout()
    {
        var mounts = MountInfo.Parse(PureV2Layout);
        var cg = mounts.Single(m => m.FsType == "cgroup2");
        cg.MountPoint.ShouldBe("/sys/fs/cgroup");
        cg.OptionalFields.ShouldBe(["shared:4"]);
        cg.SuperOptions.ShouldBe("rw,nsdelegate,memory_recursiveprot");
        CgroupV1Driver.DiscoverRoots(mounts).ShouldBeEmpty();
    }

    [Fact]
    public void Combined_cpu_cpuacct_mount_serves_both_controllers_and_name_systemd_is_ignored()
    {
        var mounts = MountInfo.Parse(CombinedCpuLayout);
        mounts.Single(m => m.MountId == 30).OptionalFields.ShouldBe(["shared:14", "master:3"]);

        var roots = CgroupV1Driver.DiscoverRoots(mounts);
        roots.Keys.Order().ShouldBe(["cpu", "cpuacct", "memory", "pids"]);
        roots["cpu"].ShouldBe("/sys/fs/cgroup/cpu,cpuacct");
        roots["cpuacct"].ShouldBe("/sys/fs/cgroup/cpu,cpuacct");
        roots.Values.ShouldNotContain("/sys/fs/cgroup/systemd");
    }

    [Fact]
    public void Unescapes_octal_escapes_in_paths()
    {
        var m = MountInfo.ParseLine(@"50 31 0:40 /a\134b /mnt/my\040cgroup\011dir rw - cgroup cg\040src rw,memory")!;
        m.ShouldNotBeNull();
        m.Root.ShouldBe(@"/a\b");
        m.MountPoint.ShouldBe("/mnt/my cgroup\tdir");
        m.Source.ShouldBe("cg src");
        m.SuperOptions.ShouldBe("rw,memory");

        MountInfo.Unescape(@"no\escapes").ShouldBe(@"no\escapes");
        MountInfo.Unescape(@"trail\04").ShouldBe(@"trail\04");
        MountInfo.Unescape(@"nl\012").ShouldBe("nl\n");
    }

    [Fact]
    public void A_hierarchy_mounted_twice_prefers_the_mount_of_its_root()
    {
        var mounts = MountInfo.Parse("""
            60 31 0:32 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
            61 31 0:32 / /host/memory rw - cgroup cgroup rw,memory
            """);
        CgroupV1Driver.DiscoverRoots(mounts)["memory"].ShouldBe("/host/memory");
    }

    [Fact]
    public void Rejects_malformed_lines()
    {
        MountInfo.ParseLine("31 23 0:28 / /sys/fs/cgroup rw,relatime tmpfs tmpfs rw").ShouldBeNull();
        Should.Throw<LightNfv.Core.Errors.LightNfvException>(() => MountInfo.Parse("garbage line"));
    }

    [Fact]
    public void Parses_this_processes_real_mountinfo()
    {
        var mounts = MountInfo.Read();
        mounts.ShouldNotBeEmpty();
        mounts.ShouldContain(m => m.MountPoint == "/");
    }
}

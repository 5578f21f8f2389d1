using LightNfv.Core.Errors;
using LightNfv.Host.Cgroups;

namespace LightNfv.Host.Tests.Cgroups;

public sealed class CgroupDriverDetectTests : IDisposable
{
    // A space in the tree's path exercises the \040 escape end to end.
    private readonly FakeCgroupTree _fs = new("lightnfv fakecg ");

    public void Dispose() => _fs.Dispose();

    private static string Esc(string path) => path.Replace("\\", "\\134").Replace(" ", "\\040");

    private string WriteMountinfo(string text)
    {
        var path = _fs.Dir("mountinfo");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Picks_v2_on_a_pure_v2_host()
    {
        var root = _fs.MakeV2Root("cgroup");
        var mountinfo = WriteMountinfo($"""
            26 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw
            30 27 0:26 / {Esc(root)} rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
            """);

        var driver = CgroupDriver.Detect(mountinfo);

        driver.ShouldBeOfType<CgroupV2Driver>().Root.ShouldBe(root);
        driver.Version.ShouldBe("v2");
        driver.Create("lightnfv/a", new CgroupLimits(64L << 20, 1.5, 10));
        _fs.Read("cgroup/lightnfv/a/cpu.max").ShouldBe("150000 100000");
    }

    [Fact]
    public void Picks_v1_on_this_machine_kinds_hybrid_layout()
    {
        var b = Esc(_fs.Root);
        foreach (var c in new[] { "cpu", "cpuacct", "cpuset", "memory", "pids", "systemd" })
        {
            _fs.MakeV1Root(c);
        }
        // The unified mount exists but offers only hugetlb: not usable.
        _fs.MakeV2Root("unified", controllers: "hugetlb");
        var mountinfo = WriteMountinfo($"""
            31 23 0:28 / {b} rw,relatime - tmpfs tmpfs rw,mode=755
            32 31 0:29 / {b}/cpu rw,relatime - cgroup cgroup rw,cpu
            33 31 0:30 / {b}/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
            34 31 0:31 / {b}/cpuset rw,relatime - cgroup cgroup rw,cpuset
            35 31 0:32 / {b}/memory rw,relatime - cgroup cgroup rw,memory
            39 31 0:36 / {b}/pids rw,relatime - cgroup cgroup rw,pids
            40 31 0:37 / {b}/systemd rw,relatime - cgroup cgroup rw,name=systemd
            41 31 0:38 / {b}/unified rw,relatime - cgroup2 cgroup2 rw
            """);

        var driver = CgroupDriver.Detect(mountinfo).ShouldBeOfType<CgroupV1Driver>();

        driver.Version.ShouldBe("v1");
        driver.Roots["memory"].ShouldBe(_fs.Dir("memory"));
        driver.Roots["cpuacct"].ShouldBe(_fs.Dir("cpuacct"));
        driver.Roots["cpuset"].ShouldBe(_fs.Dir("cpuset"));
        // A cgroup that does not pin gets no cpuset directory: four hierarchies, as before pinning existed.
        var cg = driver.Create("lightnfv/a", new CgroupLimits(32L << 20, 0.5, 16));
        cg.ProcsFiles.Count.ShouldBe(4);
        _fs.Exists("cpuset/lightnfv").ShouldBeFalse();
        _fs.Read("memory/lightnfv/a/memory.limit_in_bytes").ShouldBe("33554432");
    }

    [Fact]
    public void A_v2_mount_without_controllers_is_skipped_by_the_v2_driver()
    {
        _fs.MakeV2Root("unified", controllers: "");
        var mounts = MountInfo.Parse($"41 31 0:38 / {Esc(_fs.Dir("unified"))} rw,relatime - cgroup2 cgroup2 rw");
        CgroupV2Driver.FindUsableRoot(mounts).ShouldBeNull();
        Should.Throw<LightNfvException>(() => new CgroupV2Driver(mounts)).Kind.ShouldBe(ErrorKind.Unavailable);
    }

    [Fact]
    public void No_usable_hierarchy_is_unavailable_with_a_fix()
    {
        _fs.MakeV2Root("unified", controllers: "hugetlb");
        var mountinfo = WriteMountinfo($"""
            26 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw
            41 31 0:38 / {Esc(_fs.Dir("unified"))} rw,relatime - cgroup2 cgroup2 rw
            """);

        var e = Should.Throw<LightNfvException>(() => CgroupDriver.Detect(mountinfo));
        e.Kind.ShouldBe(ErrorKind.Unavailable);
        e.Message.ShouldStartWith("no usable cgroup hierarchy: ");
        e.Message.ShouldContain("mount cgroup v2 at /sys/fs/cgroup");
        e.Message.ShouldContain("v1 memory, cpu and pids controllers");
    }

    [Fact]
    public void Detects_a_driver_on_this_host()
    {
        var driver = CgroupDriver.Detect();
        driver.Version.ShouldBeOneOf("v1", "v2");
        var unified = "/sys/fs/cgroup/unified/cgroup.controllers";
        if (File.Exists(unified) && !File.ReadAllText(unified).Contains("memory") && Directory.Exists("/sys/fs/cgroup/memory"))
        {
            driver.Version.ShouldBe("v1"); // this machine kind's hybrid layout
        }
    }
}

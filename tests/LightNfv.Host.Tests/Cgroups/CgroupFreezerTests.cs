using LightNfv.Core.Errors;
using LightNfv.Host.Cgroups;

namespace LightNfv.Host.Tests.Cgroups;

/// <summary>The freeze of ICgroup (CgroupFreezer.cs) on fake trees of both versions: which file is written, and the refusals.</summary>
public sealed class CgroupFreezerTests : IDisposable
{
    private readonly FakeCgroupTree _fs = new();

    public void Dispose() => _fs.Dispose();

    [Fact]
    public void V1_freezes_through_the_freezer_hierarchy_and_thaws()
    {
        var driver = new CgroupV1Driver(new[] { "memory", "freezer" }.ToDictionary(c => c, c => _fs.MakeV1Root(c)));
        var cg = driver.Create("lightnfv/abc", new CgroupLimits(64L << 20, null, null));
        _fs.Exists("freezer/lightnfv/abc").ShouldBeTrue("an instance joins the freezer at start");
        cg.ProcsFiles.ShouldContain(_fs.Dir("freezer", "lightnfv", "abc", "cgroup.procs"));
        _fs.Write("freezer/lightnfv/abc/freezer.state", "THAWED\n"); // what the kernel shows a fresh cgroup
        cg.IsFrozen.ShouldBeFalse();

        cg.Freeze().ShouldBe("v1");
        _fs.Read("freezer/lightnfv/abc/freezer.state").ShouldBe("FROZEN");
        cg.IsFrozen.ShouldBeTrue();

        cg.Thaw();
        _fs.Read("freezer/lightnfv/abc/freezer.state").ShouldBe("THAWED");
        cg.IsFrozen.ShouldBeFalse();
    }

    [Fact]
    public void V2_freezes_through_cgroup_freeze_and_waits_for_the_kernel_to_say_frozen()
    {
        var driver = new CgroupV2Driver(_fs.MakeV2Root());
        var cg = driver.Create("lightnfv/abc", new CgroupLimits(null, null, null));
        _fs.Write("v2/lightnfv/abc/cgroup.freeze", "0\n");
        _fs.Write("v2/lightnfv/abc/cgroup.events", "populated 1\nfrozen 1\n"); // the kernel's answer, given ahead in a fake

        cg.Freeze().ShouldBe("v2");
        _fs.Read("v2/lightnfv/abc/cgroup.freeze").ShouldBe("1");
        cg.IsFrozen.ShouldBeTrue();
        cg.Thaw();
        _fs.Read("v2/lightnfv/abc/cgroup.freeze").ShouldBe("0");
    }

    [Fact]
    public void A_freeze_the_kernel_never_confirms_fails_naming_the_cgroup()
    {
        var driver = new CgroupV2Driver(_fs.MakeV2Root());
        var cg = driver.Create("lightnfv/stuck", new CgroupLimits(null, null, null));
        _fs.Write("v2/lightnfv/stuck/cgroup.freeze", "0\n");
        _fs.Write("v2/lightnfv/stuck/cgroup.events", "populated 1\nfrozen 0\n");

        var e = Should.Throw<LightNfvException>(() => cg.Freeze());
        e.Kind.ShouldBe(ErrorKind.Host);
        e.Message.ShouldContain("lightnfv/stuck");
        e.Message.ShouldContain("did not freeze");
    }

    [Fact]
    public void A_cgroup_without_a_freezer_is_refused_with_how_to_mount_one()
    {
        var driver = new CgroupV1Driver(new Dictionary<string, string> { ["memory"] = _fs.MakeV1Root("memory") });
        var cg = driver.Create("lightnfv/abc", new CgroupLimits(64L << 20, null, null));

        var e = Should.Throw<LightNfvException>(() => cg.Freeze());
        e.Kind.ShouldBe(ErrorKind.Unavailable);
        e.Message.ShouldContain("mount -t cgroup -o freezer");
        cg.IsFrozen.ShouldBeFalse();
    }
}

using System.Net;
using LightNfv.Backends.Vm;

namespace LightNfv.Backends.Tests.Vm;

public sealed class QemuCommandTests
{
    private static QemuLaunch Launch(string machine = "microvm", string accel = "tcg") => new()
    {
        Name = "lightnfv-abc",
        Machine = machine,
        Accel = accel,
        MemoryMiB = 64,
        Kernel = "/k/bzImage",
        Initrd = "/i/initramfs.cpio.gz",
        Append = "console=ttyS0",
        Mac = [0x02, 0x4e, 0x0a, 0x49, 0x00, 0x02],
        QmpSocket = "/run/x/qmp.sock",
        ConsoleLog = "/run/x/console.log",
        TbSizeMiB = 4,
    };

    private static string After(IReadOnlyList<string> argv, string flag) => argv[argv.ToList().IndexOf(flag) + 1];

    [Fact]
    public void Microvm_on_tcg_boots_the_kernel_directly_with_a_small_translation_cache_and_the_tap_fd()
    {
        var argv = QemuCommand.Build(Launch());
        argv[0].ShouldBe("qemu-system-x86_64");
        After(argv, "-machine").ShouldStartWith("microvm,");
        After(argv, "-machine").ShouldContain("acpi=off");
        After(argv, "-accel").ShouldBe("tcg,tb-size=4");
        After(argv, "-machine").ShouldContain("rtc=on");
        After(argv, "-m").ShouldBe("64M");
        // Guest RAM from a memfd of the same size (4 KiB pages: no huge page made resident by a touch).
        After(argv, "-machine").ShouldEndWith(",memory-backend=ram0");
        After(argv, "-object").ShouldBe("memory-backend-memfd,id=ram0,size=64M");
        After(argv, "-kernel").ShouldBe("/k/bzImage");
        After(argv, "-initrd").ShouldBe("/i/initramfs.cpio.gz");
        After(argv, "-netdev").ShouldBe("tap,id=net0,fd=3");
        After(argv, "-device").ShouldBe("virtio-net-device,netdev=net0,mac=02:4e:0a:49:00:02");
        After(argv, "-qmp").ShouldBe("unix:/run/x/qmp.sock,server=on,wait=off");
        After(argv, "-serial").ShouldBe("file:/run/x/console.log");
        argv.ShouldContain("-no-reboot");
        argv.ShouldContain("-nodefaults");
        argv.ShouldNotContain("-drive");
    }

    [Fact]
    public void A_tcg_guest_is_told_the_host_tsc_rate_and_a_kvm_guest_is_not()
    {
        After(QemuCommand.Build(Launch() with { TscKhz = 2596120 }), "-append").ShouldBe("console=ttyS0 tsc_early_khz=2596120");
        After(QemuCommand.Build(Launch("microvm", "kvm") with { TscKhz = 2596120 }), "-append").ShouldBe("console=ttyS0");
        After(QemuCommand.Build(Launch()), "-append").ShouldBe("console=ttyS0");
    }

    [Fact]
    public void Q35_on_kvm_uses_pci_devices_the_host_cpu_and_a_snapshot_disk()
    {
        var argv = QemuCommand.Build(Launch("q35", "kvm") with { Disk = "/d/disk.img", Initrd = null });
        After(argv, "-machine").ShouldBe("q35,memory-backend=ram0");
        After(argv, "-accel").ShouldBe("kvm");
        After(argv, "-cpu").ShouldBe("host");
        After(argv, "-drive").ShouldBe("file=/d/disk.img,format=raw,if=none,id=disk0,snapshot=on");
        argv.ShouldContain("virtio-blk-pci,drive=disk0");
        argv.ShouldContain("virtio-net-pci,netdev=net0,mac=02:4e:0a:49:00:02");
        argv.ShouldNotContain("-initrd");
    }

    [Fact]
    public void Kernel_parameters_carry_the_address_and_the_vnf_for_lnfv_init()
    {
        QemuCommand.IpParameter(IPAddress.Parse("10.73.0.5"), IPAddress.Parse("10.73.0.1"), 16)
            .ShouldBe("ip=10.73.0.5::10.73.0.1:255.255.0.0::eth0:off");
        var words = QemuCommand.InitParameters(["iperf3", "-s", "a b"], new Dictionary<string, string> { ["Z"] = "1", ["A"] = "x y" });
        QemuCommand.KernelWords(words).ShouldBe("lnfv.env=\"A=x y\" lnfv.env=Z=1 lnfv.arg=iperf3 lnfv.arg=-s lnfv.arg=\"a b\"");
    }

    [Fact]
    public void Qemu_runs_under_its_seccomp_sandbox_and_as_the_instance_uid_when_given()
    {
        var argv = QemuCommand.Build(Launch() with { RunAsUid = 0x7000_0001 });
        After(argv, "-sandbox").ShouldBe("on,obsolete=deny,spawn=deny,resourcecontrol=deny");
        After(argv, "-runas").ShouldBe("1879048193:1879048193");
        QemuCommand.Build(Launch()).ShouldNotContain("-runas");
    }
}

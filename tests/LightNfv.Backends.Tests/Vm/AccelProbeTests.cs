using LightNfv.Backends.Vm;
using LightNfv.Core.Errors;

namespace LightNfv.Backends.Tests.Vm;

public sealed class AccelProbeTests
{
    private static Func<KvmVerdict> Verdict(KvmVerdict v) => () => v;

    [Theory]
    [InlineData(null, KvmVerdict.BootsLinux, "kvm")]
    [InlineData("auto", KvmVerdict.BootsLinux, "kvm")]
    [InlineData("auto", KvmVerdict.CannotBootLinux, "tcg")]
    [InlineData("auto", KvmVerdict.Absent, "tcg")]
    [InlineData("tcg", KvmVerdict.BootsLinux, "tcg")]
    [InlineData("kvm", KvmVerdict.CannotBootLinux, "kvm")]
    public void Auto_takes_kvm_only_where_it_boots_linux(string? requested, KvmVerdict verdict, string expected) =>
        AccelProbe.Decide(requested, Verdict(verdict)).ShouldBe(expected);

    [Fact]
    public void Tcg_never_runs_the_probe() =>
        AccelProbe.Decide("tcg", () => throw new InvalidOperationException("probed")).ShouldBe("tcg");

    [Fact]
    public void Kvm_without_dev_kvm_is_an_error_naming_the_field() =>
        Should.Throw<LightNfvException>(() => AccelProbe.Decide("kvm", Verdict(KvmVerdict.Absent))).Message.ShouldStartWith("spec.accel:");

    [Theory]
    [InlineData("Linux version 6.1\nKernel panic - not syncing: VFS: Unable to mount root fs", true)]
    [InlineData("Run /init as init process", true)]
    [InlineData("", false)]
    [InlineData("Booting the kernel.\n", false)]
    public void A_console_shows_a_booted_kernel_once_it_looks_for_its_root(string console, bool booted) =>
        AccelProbe.ShowsBootedKernel(console).ShouldBe(booted);
}

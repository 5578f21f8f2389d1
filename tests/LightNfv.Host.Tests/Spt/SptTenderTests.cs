using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using LightNfv.Host.Spt;

namespace LightNfv.Host.Tests.Spt;

/// <summary>lnfv-spt refuses what it cannot run safely, before it maps or sandboxes anything: exit 2 and one line.</summary>
public sealed class SptTenderTests
{
    // Descriptor 3 is not open in the child: every run here ends before the tap would be used.
    private static readonly string[] s_good = ["--mem=16", "--tap-fd=3", "--ip=10.0.0.2", "--gateway=10.0.0.1", "--mac=02:00:00:00:00:02", "--port=5201", "--app=iperf3"];

    private static (int Code, string Stderr) Run(params string[] args)
    {
        var start = new ProcessStartInfo(SptTender.Path) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }
        using var p = Process.Start(start)!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, err);
    }

    [Fact]
    public void Usage_errors_exit_2_with_one_line()
    {
        foreach (var args in new[] { Array.Empty<string>(), ["--mem=0", "x.elf"], ["--bogus=1"], [.. s_good.Select(a => a.Replace("--app=iperf3", "--app=nginx", StringComparison.Ordinal)), "x.elf"] })
        {
            var (code, err) = Run(args);
            code.ShouldBe(2, string.Join(' ', args));
            err.TrimEnd().Split('\n').Length.ShouldBe(1, err);
            err.ShouldStartWith("lnfv-spt: ");
        }
    }

    [Fact]
    public void A_warm_guest_takes_its_identity_at_the_claim_not_on_its_command_line()
    {
        string[] warm = ["--mem=16", "--tap-fd=3", "--mac=02:00:00:00:00:02", "--control=/nonexistent/spt-control"];
        foreach (var extra in new[] { "--ip=10.0.0.2", "--gateway=10.0.0.1", "--port=5201", "--app=iperf3" })
        {
            var (code, err) = Run([.. warm, extra, "x.elf"]);
            code.ShouldBe(2, extra);
            err.ShouldContain("takes the identity at the claim: no --ip, --gateway, --port or --app");
        }
        var (c, e) = Run([.. warm.Where(a => !a.StartsWith("--control", StringComparison.Ordinal)), "x.elf"]);
        c.ShouldBe(2);
        e.ShouldContain("--ip and --gateway are required (or --control for a warm guest)");
        SptTender.WarmArguments("g.elf", 64UL << 20, [2, 0, 0, 0, 0, 2], "/run/x", ["/sys/fs/cgroup/a/cgroup.procs"]).Skip(1)
            .ShouldBe(["--mem=64", "--tap-fd=3", "--mac=02:00:00:00:00:02", "--control=/run/x", "--cgroup-procs=/sys/fs/cgroup/a/cgroup.procs", "g.elf"]);
    }

    [Fact]
    public void An_elf_that_is_not_a_static_guest_or_loads_outside_the_guest_range_is_refused()
    {
        var (code, err) = Run([.. s_good, "/bin/true"]);
        code.ShouldBe(2);
        err.ShouldContain("not a static x86-64 executable");

        // A static x86-64 ELF whose one segment sits at 1 MiB (the KVM guest's address), below the tender's range.
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, MinimalElf(vaddr: 0x100000, flags: 5));
            (code, err) = Run([.. s_good, path]);
            code.ShouldBe(2);
            err.ShouldContain("falls outside the guest range 0x60100000-0x61000000");

            File.WriteAllBytes(path, MinimalElf(vaddr: 0x60100000, flags: 7));
            Run([.. s_good, path]).Stderr.ShouldContain("writable and executable");

            // A well-formed guest image passes the checks; the missing tap is what stops it.
            File.WriteAllBytes(path, MinimalElf(vaddr: 0x60100000, flags: 5));
            (code, err) = Run([.. s_good, path]);
            code.ShouldBe(2);
            err.ShouldContain("--tap-fd=3 is not an open descriptor");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void The_console_names_the_forbidden_system_call()
    {
        SptTender.ForbiddenSystemCall("lnfv-uk: hello\nlnfv-spt: seccomp: forbidden system call 110\n").ShouldBe(110);
        SptTender.ForbiddenSystemCall("lnfv-uk: hello\n").ShouldBeNull();
    }

    [Fact]
    public void Arguments_pass_the_identity_and_each_cgroup_file()
    {
        var args = SptTender.Arguments("/g.elf", 64UL << 20, IPAddress.Parse("10.0.0.2"), IPAddress.Parse("10.0.0.1"), [2, 0, 0, 0, 0, 0xab], 7, "echo", ["/a/cgroup.procs", "/b/cgroup.procs"]);
        args.ShouldBe([SptTender.Path, "--mem=64", "--tap-fd=3", "--ip=10.0.0.2", "--gateway=10.0.0.1", "--mac=02:00:00:00:00:ab", "--port=7", "--app=echo",
            "--cgroup-procs=/a/cgroup.procs", "--cgroup-procs=/b/cgroup.procs", "/g.elf"]);
    }

    [Fact]
    public void Start_arguments_name_the_start_socket_and_leave_the_tap_and_cgroup_to_the_go()
    {
        var args = SptTender.StartArguments("/g.elf", 64UL << 20, IPAddress.Parse("10.0.0.2"), IPAddress.Parse("10.0.0.1"), [2, 0, 0, 0, 0, 0xab], 7, "iperf3");
        args.ShouldBe([SptTender.Path, "--mem=64", "--start-fd=3", "--ip=10.0.0.2", "--gateway=10.0.0.1", "--mac=02:00:00:00:00:ab", "--port=7", "--app=iperf3", "/g.elf"]);
    }

    /// <summary>An ELF header and one PT_LOAD of one page at <paramref name="vaddr"/>, entry at its start.</summary>
    private static byte[] MinimalElf(ulong vaddr, uint flags)
    {
        var b = new byte[4096 + 16];
        "\u007fELF"u8.CopyTo(b);
        b[4] = 2; // 64-bit
        b[5] = 1; // little-endian
        b[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(16), 2); // ET_EXEC
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(18), 62); // x86-64
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(20), 1);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(24), vaddr); // entry
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(32), 64); // phoff
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(52), 64); // ehsize
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(54), 56); // phentsize
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(56), 1); // phnum
        var ph = b.AsSpan(64);
        BinaryPrimitives.WriteUInt32LittleEndian(ph, 1); // PT_LOAD
        BinaryPrimitives.WriteUInt32LittleEndian(ph[4..], flags);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[8..], 4096); // offset
        BinaryPrimitives.WriteUInt64LittleEndian(ph[16..], vaddr);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[24..], vaddr);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[32..], 16); // filesz
        BinaryPrimitives.WriteUInt64LittleEndian(ph[40..], 16); // memsz
        BinaryPrimitives.WriteUInt64LittleEndian(ph[48..], 4096);
        return b;
    }
}

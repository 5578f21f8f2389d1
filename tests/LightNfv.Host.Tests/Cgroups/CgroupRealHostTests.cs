using System.Diagnostics;
using LightNfv.Host.Cgroups;

namespace LightNfv.Host.Tests.Cgroups;

/// <summary>Against the real cgroupfs of this machine (v1 hybrid, root). Skipped with the reason elsewhere.</summary>
public sealed class CgroupRealHostTests(ITestOutputHelper output)
{
    [Fact]
    public void Creates_limits_joins_kills_and_removes_a_real_cgroup()
    {
        Assert.SkipUnless(LightNfv.Host.Processes.Privileges.IsRoot, "needs root to create cgroups on the real cgroupfs");
        var driver = CgroupDriver.Detect();
        Assert.SkipUnless(driver is CgroupV1Driver, $"this host uses cgroup {driver.Version}; this test targets the v1 layout");
        var v1 = (CgroupV1Driver)driver;

        var top = $"lightnfv-test-{Guid.NewGuid().ToString("N")[..10]}";
        var rel = $"{top}/x";
        Process? proc = null;
        ICgroup? cg = null;
        try
        {
            cg = driver.Create(rel, new CgroupLimits(32L << 20, 0.5, 16));

            var mem = Path.Combine(v1.Roots["memory"], rel);
            File.ReadAllText(Path.Combine(mem, "memory.limit_in_bytes")).Trim().ShouldBe("33554432");
            if (File.Exists(Path.Combine(mem, "memory.memsw.limit_in_bytes")))
            {
                File.ReadAllText(Path.Combine(mem, "memory.memsw.limit_in_bytes")).Trim().ShouldBe("33554432");
            }
            File.ReadAllText(Path.Combine(v1.Roots["cpu"], rel, "cpu.cfs_quota_us")).Trim().ShouldBe("50000");
            File.ReadAllText(Path.Combine(v1.Roots["cpu"], rel, "cpu.cfs_period_us")).Trim().ShouldBe("100000");
            File.ReadAllText(Path.Combine(v1.Roots["pids"], rel, "pids.max")).Trim().ShouldBe("16");

            // Raising then lowering exercises the memsw/limit write order the kernel insists on.
            driver.Create(rel, new CgroupLimits(64L << 20, 0.5, 16));
            File.ReadAllText(Path.Combine(mem, "memory.limit_in_bytes")).Trim().ShouldBe("67108864");
            driver.Create(rel, new CgroupLimits(32L << 20, 0.5, 16));
            File.ReadAllText(Path.Combine(mem, "memory.limit_in_bytes")).Trim().ShouldBe("33554432");

            // v1 does not move existing memory charges with a task, so a plain moved `sleep` shows 0 bytes:
            // the shell joins first, then execs sleep inside the cgroup, so its new image is charged here.
            proc = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "read go; exec sleep 30"])
            {
                RedirectStandardInput = true,
                UseShellExecute = false,
            })!;
            foreach (var procs in cg.ProcsFiles)
            {
                File.WriteAllText(procs, proc.Id.ToString());
            }
            proc.StandardInput.WriteLine("go");
            proc.StandardInput.Flush();

            cg.Pids().ShouldBe([proc.Id]);
            var deadline = Stopwatch.StartNew();
            CgroupStats stats;
            do
            {
                Thread.Sleep(20);
                stats = cg.ReadStats();
            }
            while (stats.MemoryBytes == 0 && deadline.Elapsed < TimeSpan.FromSeconds(5));
            output.WriteLine($"stats: {stats}");
            stats.MemoryBytes.ShouldBeGreaterThan(0UL);
            stats.MemoryLimitBytes.ShouldBe(33554432UL);
            stats.PidsCurrent.ShouldBe(1UL);
            stats.PidsLimit.ShouldBe(16UL);
            stats.CpuNanoseconds.ShouldBeGreaterThan(0UL);
            stats.OomKills.ShouldBe(0UL);

            var sw = Stopwatch.StartNew();
            cg.KillAll(TimeSpan.FromSeconds(5)).ShouldBeTrue();
            output.WriteLine($"KillAll: {sw.Elapsed.TotalMilliseconds:F1} ms");
            cg.Pids().ShouldBeEmpty();
            proc.WaitForExit(5000).ShouldBeTrue();

            driver.ListChildren(top).ShouldBe(["x"]);
            sw.Restart();
            cg.Remove().ShouldBeTrue();
            output.WriteLine($"Remove: {sw.Elapsed.TotalMilliseconds:F1} ms");
            driver.Open(rel).ShouldBeNull();
            driver.Open(top)!.Remove().ShouldBeTrue();
            LeftOvers(top).ShouldBeEmpty();
        }
        finally
        {
            if (proc is { HasExited: false })
            {
                proc.Kill();
                proc.WaitForExit(5000);
            }
            proc?.Dispose();
            cg?.KillAll(TimeSpan.FromSeconds(2));
            cg?.Remove();
            driver.Open(top)?.Remove();
        }
    }

    /// <summary>This run's directories in any hierarchy (other runs may own other lightnfv-test-* names).</summary>
    private static List<string> LeftOvers(string top) =>
        Directory.EnumerateDirectories("/sys/fs/cgroup")
            .SelectMany(h => Directory.EnumerateDirectories(h, "lightnfv-test-*"))
            .Where(d => Path.GetFileName(d) == top)
            .ToList();

    [Fact]
    public void A_host_command_given_a_cgroup_runs_in_it()
    {
        Assert.SkipUnless(LightNfv.Host.Processes.Privileges.IsRoot, "needs root to create cgroups on the real cgroupfs");
        var driver = CgroupDriver.Detect();
        var rel = $"lightnfv-test-{Guid.NewGuid().ToString("N")[..10]}/lab";
        var cg = driver.Create(rel, new CgroupLimits(null, null, null));
        try
        {
            // The command joins right after its exec: it waits (a bounded loop) until it sees itself there.
            var result = LightNfv.Host.Processes.HostCommand.Run(
                ["sh", "-c", $"i=0; while [ $i -lt 500 ] && ! grep -q '{rel}' /proc/$$/cgroup; do i=$((i+1)); sleep 0.01; done; cat /proc/$$/cgroup"],
                cgroupProcsFiles: cg.ProcsFiles);
            output.WriteLine(result.Output);
            result.ExitCode.ShouldBe(0);
            result.Output.ShouldContain(rel);
            cg.Pids().ShouldBeEmpty("the command has ended");
        }
        finally
        {
            cg.Remove().ShouldBeTrue();
            CgroupSweeper.RemoveEverywhere(CgroupFs.ParentOf(rel)!).ShouldBeEmpty();
        }
    }
}

using System.Diagnostics;
using System.Text.RegularExpressions;
using LightNfv.Core.Errors;
using LightNfv.Host.Namespaces;
using LightNfv.Host.Native;
using LightNfv.Host.Processes;

namespace LightNfv.Host.Tests.Namespaces;

/// <summary>
/// No child inherits a network namespace it was not given (issue 12: debootstrap started from a thread in the lab had
/// no route to the Debian mirror). Each test moves a throwaway thread into a fresh, unnamed network namespace (root
/// only) and starts children from it.
/// </summary>
public sealed class HostNetworkTests
{
    private static void RequireRoot() => Assert.SkipUnless(LightNfv.Host.Processes.Privileges.IsRoot, "needs root to make a network namespace");

    /// <summary>Runs <paramref name="work"/> on a fresh thread inside a new network namespace of its own; the thread then ends.</summary>
    private static T InForeignNamespace<T>(Func<T> work) => OsThread.Run(() =>
    {
        _ = HostNetwork.HomeId; // as every NetNamespace entry point does: home is known before any thread leaves it
        Errno.Check(Libc.unshare(Libc.CLONE_NEWNET), "unshare(CLONE_NEWNET)");
        return work();
    });

    [Fact]
    public void Spawning_from_a_thread_in_a_foreign_namespace_without_naming_it_is_refused()
    {
        RequireRoot();
        var (foreign, spawnTo, detached) = InForeignNamespace(() =>
        {
            HostNetwork.IsCurrentThreadHome.ShouldBeFalse();
            var spawnTo = Should.Throw<LightNfvException>(() => NamespacedSpawner.SpawnTo("/bin/true", ["true"], "/dev/null"));
            var detached = Should.Throw<LightNfvException>(() => NamespacedSpawner.SpawnDetached("/bin/true", ["true"], "/dev/null", []));
            return (HostNetwork.CurrentId(), spawnTo, detached);
        });
        foreign.ShouldNotBe(HostNetwork.HomeId);
        foreach (var e in new[] { spawnTo, detached })
        {
            e.Message.ShouldContain("refusing to start /bin/true from a thread inside network namespace " + foreign);
            e.Message.ShouldContain(HostNetwork.HomeId);
        }
        // The same spawn from a thread at home goes through.
        HostNetwork.IsCurrentThreadHome.ShouldBeTrue();
        var pid = NamespacedSpawner.SpawnTo("/bin/true", ["true"], "/dev/null");
        ChildReaper.WaitForExitCode(pid, TimeSpan.FromSeconds(10)).ShouldBe(0);
    }

    [Fact]
    public void A_thread_made_from_a_foreign_namespace_stays_there_and_is_reported()
    {
        RequireRoot();
        using var release = new ManualResetEventSlim();
        Thread? child = null;
        var foreign = InForeignNamespace(() =>
        {
            // What a thread-pool worker injected from inside RunIn would be: it inherits the namespace and outlives the work.
            child = new Thread(() => release.Wait()) { IsBackground = true, Name = "stray-worker" };
            child.Start();
            return HostNetwork.CurrentId();
        });
        try
        {
            HostNetwork.ThreadsAway().ShouldContain(t => t.Contains("(stray-worker) in " + foreign, StringComparison.Ordinal));
        }
        finally
        {
            release.Set();
            child!.Join();
        }
        // Join returns when the managed thread is done; the OS thread leaves /proc/self/task a moment later.
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (HostNetwork.ThreadsAway().Any(t => t.Contains("stray-worker", StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(10);
        }
        HostNetwork.ThreadsAway().ShouldNotContain(t => t.Contains("stray-worker", StringComparison.Ordinal));
    }

    [Fact]
    public void Host_tools_started_from_a_foreign_thread_run_in_the_host_namespace()
    {
        RequireRoot();
        var (foreign, viaCommand, viaProcess) = InForeignNamespace(() =>
        {
            // HostCommand (posix_spawn) and HostProcess (System.Diagnostics.Process, as the image builders use) both hop home.
            var command = HostCommand.Run(["readlink", "/proc/self/ns/net"]);
            command.ExitCode.ShouldBe(0, command.Output);
            using var p = HostProcess.Start(new ProcessStartInfo("readlink", ["/proc/self/ns/net"]) { RedirectStandardOutput = true, UseShellExecute = false });
            var text = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            return (HostNetwork.CurrentId(), command.Output.Trim(), text);
        });
        viaCommand.ShouldBe(HostNetwork.HomeId);
        viaProcess.ShouldBe(HostNetwork.HomeId);
        foreign.ShouldNotBe(HostNetwork.HomeId);
    }

    [Fact]
    public void A_child_asked_for_in_a_named_namespace_starts_there_and_the_caller_stays_home()
    {
        RequireRoot();
        // A namespace held open by its descriptor only, as the lab's is by LabNetwork.
        var (fd, id) = InForeignNamespace(() => (FileDescriptor.Open("/proc/thread-self/ns/net"), HostNetwork.CurrentId()));
        using (fd)
        {
            var inside = HostCommand.Run(["readlink", "/proc/self/ns/net"], netNamespace: fd);
            inside.Output.Trim().ShouldBe(id);
            HostNetwork.IsCurrentThreadHome.ShouldBeTrue("the caller returns home right after the spawn");

            var bare = NamespacedSpawner.SpawnBare(["sleep", "5"], fd);
            try
            {
                new FileInfo($"/proc/{bare.Pid}/ns/net").LinkTarget.ShouldBe(id);
            }
            finally
            {
                ProcessSignals.Send(bare, 9);
                ChildReaper.Reap(bare, TimeSpan.FromSeconds(5));
            }
            HostNetwork.IsCurrentThreadHome.ShouldBeTrue();
        }
    }

    [Fact]
    public void Host_network_Run_from_a_foreign_thread_works_at_home()
    {
        RequireRoot();
        var seen = InForeignNamespace(() => HostNetwork.Run(HostNetwork.CurrentId));
        seen.ShouldBe(HostNetwork.HomeId);
    }

    /// <summary>
    /// The guard holds by construction only if nothing starts a child around it: System.Diagnostics.Process only through
    /// HostProcess, posix_spawn only in NamespacedSpawner, setns and unshare of a network namespace only in Namespaces/.
    /// </summary>
    [Fact]
    public void Nothing_in_src_starts_a_child_or_enters_a_namespace_around_the_guard()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "LightNfv.slnx")))
        {
            root = root.Parent;
        }
        Assert.SkipWhen(root is null, "the sources are not above the test binaries");
        var src = Path.Combine(root!.FullName, "src");
        var rules = new (Regex Pattern, string[] Allowed)[]
        {
            (new Regex(@"(?<![\w.])Process\.Start\(|Diagnostics\.Process\.Start\("), ["LightNfv.Host/Processes/HostProcess.cs"]),
            (new Regex(@"Libc\.posix_spawn\("), ["LightNfv.Host/Processes/NamespacedSpawner.cs"]),
            (new Regex(@"Libc\.setns\("), ["LightNfv.Host/Namespaces/NetNamespace.cs", "LightNfv.Host/Namespaces/HostNetwork.cs"]),
            (new Regex(@"CLONE_NEWNET"), ["LightNfv.Host/Namespaces/", "LightNfv.Host/Native/Libc.cs", "LightNfv.Host/Processes/lnfv-spawn.c"]),
        };
        var offenders = new List<string>();
        foreach (var file in Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories).Where(f => !f.Contains("/obj/") && !f.Contains("/bin/")))
        {
            var rel = Path.GetRelativePath(src, file).Replace('\\', '/');
            var text = File.ReadAllText(file);
            foreach (var (pattern, allowed) in rules)
            {
                if (pattern.IsMatch(text) && !allowed.Any(a => rel.StartsWith(a, StringComparison.Ordinal)))
                {
                    offenders.Add($"{rel}: {pattern}");
                }
            }
        }
        offenders.ShouldBeEmpty();
    }
}

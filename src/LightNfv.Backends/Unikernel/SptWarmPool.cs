using System.Collections.Concurrent;
using System.Globalization;
using LightNfv.Backends.Shared;
using LightNfv.Core.Backends;
using LightNfv.Core.Errors;
using LightNfv.Core.Instances;
using LightNfv.Core.Networking;
using LightNfv.Host.Cgroups;
using LightNfv.Host.Processes;
using LightNfv.Host.Spt;

namespace LightNfv.Backends.Unikernel;

/// <summary>
/// Warm guests of the process tender: lnfv-spt processes whose guest booted up to its first network wait and is parked
/// there (blocked in epoll_pwait: no CPU), each in its own cgroup with its tap on the lab bridge and its console log in
/// its run directory. Every object is named after the id the instance will have (as the shell pool's shells), so a
/// claim renames nothing: it writes the identity (address, gateway, port, application) to the guest's control FIFO and
/// adds the address's neighbour entry (<see cref="UnikernelBackend"/>'s StartProcess). Each ready guest has a marker
/// file holding its tender's pid and start time; claiming renames the marker away, which only one process can do, so
/// CLI invocations and the daemon share the pool. Prepared for <see cref="UnikernelBackend.WarmMemoryMiB"/>, 1 vCPU and
/// 64 pids (the bench's VNF); another size takes the claimed guest down and starts cold.
/// </summary>
internal sealed class SptWarmPool(BackendContext host)
{
    private static readonly TimeSpan ParkTimeout = TimeSpan.FromSeconds(5);
    private const int Vcpus = 1, Pids = 64;

    private static ulong MemoryBytes => (ulong)UnikernelBackend.WarmMemoryMiB << 20;

    // Claimed by this process and not yet taken by CreateAsync: id -> tender.
    private readonly ConcurrentDictionary<string, ProcessIdentity> _claimed = new(StringComparer.Ordinal);

    // Ids of the guests this process pooled, in order: tried first by a claim.
    private readonly ConcurrentQueue<string> _made = new();

    private string Directory_ => Path.Combine(host.Options.StateDirectory, "warm", "spt");

    public int Available => Markers().Count();

    /// <summary>Whether a claimed guest can serve the instance: the limits its cgroup was made with.</summary>
    public static bool Fits(InstanceSpec spec) =>
        spec.Resources.MemoryMiB == UnikernelBackend.WarmMemoryMiB && spec.Resources.Vcpus == Vcpus && spec.Resources.Pids == Pids;

    public string? TryClaim()
    {
        // The guests this process pooled first, by name: no directory listing on the timed path (a listing finds the rest).
        while (_made.TryDequeue(out var mine))
        {
            if (TryClaim(Path.Combine(Directory_, mine)) is { } id)
            {
                return id;
            }
        }
        foreach (var marker in Markers())
        {
            if (TryClaim(marker) is { } id)
            {
                return id;
            }
        }
        return null;
    }

    /// <summary>
    /// Takes one guest by renaming its marker (a symbolic link to "pid@start", read and removed without touching a data
    /// block); null if another process took it first. Whether the tender still lives is not checked here: a claim that
    /// finds it gone starts the guest cold (StartProcess).
    /// </summary>
    private string? TryClaim(string marker)
    {
        var claimed = marker + ".claimed." + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        try
        {
            File.Move(marker, claimed);
        }
        catch (FileNotFoundException)
        {
            return null; // someone else took it
        }
        var id = Path.GetFileName(marker);
        var tender = ProcessIdentity.Parse(new FileInfo(claimed).LinkTarget);
        File.Delete(claimed);
        if (tender is { } t)
        {
            _claimed[id] = t;
            return id;
        }
        Remove(id, null); // a marker not made by Prepare: its guest is not worth keeping
        return null;
    }

    /// <summary>The tender of the guest this process claimed for <paramref name="id"/>, once; null if none.</summary>
    public ProcessIdentity? Take(string id) => _claimed.TryRemove(id, out var t) ? t : null;

    public int Refill(int target, CancellationToken cancellationToken = default)
    {
        var made = 0;
        Directory.CreateDirectory(Directory_);
        while (Available < target && !cancellationToken.IsCancellationRequested)
        {
            Prepare();
            made++;
        }
        return made;
    }

    /// <summary>Removes every ready guest (and one claimed by this process but never used); returns how many.</summary>
    public int Drain()
    {
        var drained = 0;
        while (TryClaim() is { } id)
        {
            Remove(id, Take(id));
            drained++;
        }
        foreach (var id in _claimed.Keys)
        {
            Remove(id, Take(id));
        }
        return drained;
    }

    /// <summary>Ready guests and ones being claimed right now (their marker is renamed to "ID.claimed.PID" meanwhile): not orphans.</summary>
    public IReadOnlyCollection<string> ShellIds() => Directory.Exists(Directory_)
        ? Directory.EnumerateFiles(Directory_).Select(f => Path.GetFileName(f)).Where(n => n.Length >= InstanceId.Length)
            .Select(n => n[..InstanceId.Length]).Where(InstanceId.IsValid).ToHashSet(StringComparer.Ordinal)
        : [];

    /// <summary>Takes a pooled guest off the host: its tender (and anything else in its cgroup), cgroup, tap, run directory. Idempotent.</summary>
    public void Remove(string id, ProcessIdentity? tender)
    {
        if (tender is { } t)
        {
            if (t.IsAlive)
            {
                ProcessSignals.Send(t, 9);
                ProcessSignals.WaitForExit(t, TimeSpan.FromSeconds(3));
            }
            ChildReaper.Reap(t, TimeSpan.FromMilliseconds(200));
        }
        if (host.Cgroups.Open(host.CgroupPath(id)) is { } cg)
        {
            cg.KillAll(TimeSpan.FromSeconds(2));
            cg.Remove();
        }
        if (host.LabExists)
        {
            host.Lab.DeleteTap(UnikernelBackend.TapName(id), null); // gone with the tender's descriptor already, unless it is stuck
        }
        if (Directory.Exists(host.RunDirectory(id)))
        {
            Directory.Delete(host.RunDirectory(id), recursive: true);
        }
    }

    private IEnumerable<string> Markers() => Directory.Exists(Directory_)
        ? Directory.EnumerateFiles(Directory_).Where(f => InstanceId.IsValid(Path.GetFileName(f)))
        : [];

    /// <summary>
    /// One guest: run directory, cgroup (the cold path's limits for the warm size), tap on the bridge (no address yet:
    /// the neighbour entry comes with the claim), the tender spawned with the control FIFO; pooled only once parked in
    /// its first wait, so a claim never pays for the rest of a boot. Nothing is left if any step fails.
    /// </summary>
    private void Prepare()
    {
        var id = InstanceId.New();
        var runDir = host.RunDirectory(id);
        var log = InstanceSpec.LogPathIn(runDir);
        ProcessIdentity? tender = null;
        try
        {
            Directory.CreateDirectory(runDir);
            var cgroup = host.Cgroups.Create(host.CgroupPath(id), new CgroupLimits((long)MemoryBytes + UnikernelBackend.TenderHeadroomBytes, Vcpus, Pids));
            var mac = NetworkAttachment.MacForInstance(id);
            var argv = SptTender.WarmArguments(GuestImages.SptGuest, MemoryBytes, mac, Path.Combine(runDir, SptTender.ControlFileName), cgroup.ProcsFiles);
            using (var tap = host.Lab.CreateTap(UnikernelBackend.TapName(id), null, mac, vnetHeader: true, nonBlocking: true, parkOn: host.Lab.LastClaimBridge))
            {
                tender = NamespacedSpawner.SpawnDetached(SptTender.Path, argv, log, [tap.Descriptor.Value]);
            }
            var deadline = Environment.TickCount64 + (long)ParkTimeout.TotalMilliseconds;
            while (!SptTender.Parked(tender.Value.Pid))
            {
                if (!tender.Value.IsAlive || Environment.TickCount64 > deadline)
                {
                    var why = File.Exists(log) ? File.ReadAllText(log).Trim() : "";
                    throw new LightNfvException(ErrorKind.Host,
                        $"a warm lnfv-spt guest did not park in its first wait within {ParkTimeout.TotalSeconds:0} s: {(why.Length > 0 ? why : "no output")}");
                }
                Thread.Sleep(1);
            }
            // Made under another name and renamed: a marker is never seen half-made. A symbolic link to "pid@start":
            // removing a file that holds data costs a claim ~0.3 ms here (ext4), a link ~20 us.
            var marker = Path.Combine(Directory_, id);
            File.CreateSymbolicLink(marker + ".new", tender.Value.ToString());
            File.Move(marker + ".new", marker);
            _made.Enqueue(id);
        }
        catch
        {
            File.Delete(Path.Combine(Directory_, id + ".new"));
            Remove(id, tender);
            throw;
        }
    }
}

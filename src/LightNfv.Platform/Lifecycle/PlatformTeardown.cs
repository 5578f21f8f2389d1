using LightNfv.Backends;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;
using LightNfv.Core.Instances;
using LightNfv.Host.Namespaces;
using LightNfv.Host.Network;
using LightNfv.Platform.Store;
using Microsoft.Data.Sqlite;

namespace LightNfv.Platform.Lifecycle;

/// <summary>`down`: takes the platform off the host, whatever state a kill or a crash left it in.</summary>
public sealed class PlatformTeardown(InstanceService instances)
{
    private PlatformStore Store => instances.Store;
    private BackendRegistry Backends => instances.Backends;

    /// <summary>
    /// Removes everything the platform created on the host: every instance, then any orphan namespace, cgroup, run
    /// directory or process (left by a crash or a lost store), then the lab network. Resets from any state a kill can
    /// leave: every step runs even when an earlier one failed (a lab without its bridge, no /run/netns, a store that
    /// cannot be written), and the failures are reported together at the end. The store keeps its audit trail.
    /// </summary>
    public async Task<IReadOnlyList<string>> DownAsync(CancellationToken cancellationToken = default)
    {
        var removed = new List<string>();
        var errors = new List<string>();
        void Step(string what, Action step)
        {
            try
            {
                step();
            }
            catch (Exception e) when (e is LightNfvException or IOException or UnauthorizedAccessException or SqliteException)
            {
                errors.Add($"{what}: {(e is SqliteException se ? StoreErrors.Explain(se, Store.FilePath).Message : e.Message)}");
            }
        }
        var count = 0;
        try
        {
            count = await instances.RemoveAllAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is LightNfvException or SqliteException)
        {
            errors.Add(e is SqliteException se ? StoreErrors.Explain(se, Store.FilePath).Message : e.Message);
        }
        foreach (var t in Enum.GetValues<Technology>())
        {
            Step($"warm {t.ToName()} shells", () =>
            {
                if (Backends.Find(t)?.WarmPool is { } pool && pool.Drain() is var n and > 0)
                {
                    removed.Add($"{n} warm {t.ToName()} shell(s)");
                }
            });
        }
        if (count > 0)
        {
            removed.Add($"{count} instance(s)");
        }
        foreach (var t in Enum.GetValues<Technology>())
        {
            Step($"{t.ToName()} host services", () =>
            {
                if (Backends.Find(t) is { } b)
                {
                    removed.AddRange(b.ShutdownHostServices());
                }
            });
        }
        var host = Backends.Host;
        Step("orphans", () =>
        {
            // What is left now has no record (or its record's removal failed above): sweep it by name.
            foreach (var o in instances.HostObjects.Orphans(SafeList().Select(r => r.Id)))
            {
                if (instances.HostObjects.Remove(o) is { Count: > 0 } failed)
                {
                    errors.AddRange(failed.Select(f => $"orphan {o.Id}: {f}"));
                }
                else
                {
                    removed.Add($"orphan {o.Id}");
                }
            }
        });
        Step("cgroups", () =>
        {
            var cgroups = host.Cgroups;
            foreach (var child in cgroups.ListChildren(host.Options.CgroupParent))
            {
                var cg = cgroups.Open($"{host.Options.CgroupParent}/{child}");
                if (cg is not null)
                {
                    cg.KillAll(TimeSpan.FromSeconds(2));
                    cg.Remove();
                    removed.Add($"cgroup {cg.RelativePath}");
                }
            }
            if (cgroups.Open(host.Options.CgroupParent) is { } parent && parent.Remove())
            {
                removed.Add($"cgroup {host.Options.CgroupParent}");
            }
            // OCI runtimes make the parent in every hierarchy, not only the ones LightNFV manages.
            foreach (var dir in LightNfv.Host.Cgroups.CgroupSweeper.RemoveEverywhere(host.Options.CgroupParent))
            {
                errors.Add($"cgroup {dir} is still busy; stop what runs in it and run 'lightnfv down' again");
            }
        });
        Step("run directories", () =>
        {
            // Directories of instances whose records are gone (an `instances/<id>` left empty by a kill).
            var known = SafeList().Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
            if (Directory.Exists(host.Options.InstancesDirectory))
            {
                foreach (var dir in Directory.EnumerateDirectories(host.Options.InstancesDirectory))
                {
                    if (InstanceId.IsValid(Path.GetFileName(dir)) && !known.Contains(Path.GetFileName(dir)))
                    {
                        Directory.Delete(dir, recursive: true);
                        removed.Add($"directory {dir}");
                    }
                }
                NetNamespace.TryRemoveEmpty(host.Options.InstancesDirectory);
            }
        });
        Step("lab network", () =>
        {
            if (host.LabOpened)
            {
                host.Lab.Dispose();
            }
            foreach (var ns in LabNetwork.Destroy(host.Options.LabNamespace))
            {
                removed.Add($"netns {ns}");
            }
        });
        Step("cgroup tuning", () =>
        {
            if (LightNfv.Host.Cgroups.CgroupTuning.Revert(host.TuningUser))
            {
                removed.Add($"cgroup {LightNfv.Host.Cgroups.CgroupTuning.Option} (restored)");
            }
        });
        Step("/run/netns", NetNamespace.ReleaseDirectory);
        Step("/run/lightnfv", NetNamespace.ReleaseRunDirectory);
        var summary = removed.Count == 0 ? "nothing to remove" : string.Join(", ", removed);
        if (instances.TryRecord(() => Store.AddEvent(null, "platform.down", summary)) is { } storeError && errors.Count == 0)
        {
            // The host is clean; only the audit event is missing. Say so, but do not fail the reset for it.
            removed.Add($"(not recorded: {storeError.Message})");
        }
        if (errors.Count > 0)
        {
            throw new LightNfvException(ErrorKind.Host,
                $"down removed {(removed.Count == 0 ? "nothing" : string.Join(", ", removed))}, but: {string.Join("; ", errors)}");
        }
        return removed;
    }

    /// <summary>The records, or none when the store cannot be read (down then goes by the host's names alone).</summary>
    private IReadOnlyList<InstanceRecord> SafeList()
    {
        try
        {
            return Store.List();
        }
        catch (SqliteException)
        {
            return [];
        }
    }
}

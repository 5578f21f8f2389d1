using System.Collections.Concurrent;
using System.Net;
using LightNfv.Core.Backends;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;
using LightNfv.Platform.Control.Rollout;
using LightNfv.Platform.Lifecycle;
using LightNfv.Platform.Store;
using Microsoft.Extensions.Logging;

namespace LightNfv.Platform.Control.Service;

/// <summary>
/// Keeps each VNF's service address (<see cref="ServiceAddressBook"/>) pointing at the replicas that may take new
/// connections: running, healthy (not failing liveness), and answered on their port at least once since they started
/// (<see cref="IReadinessGate"/>). A replica leaves the set before it is stopped (<see cref="WithdrawAsync"/>, called
/// by every removal: rolling update, scale-in, recreate, terminate), and the removal waits the table's <see cref="IServiceTable.DrainDelay"/> so a
/// handshake already on its way finishes; a rolling update adds the new replica (<see cref="MarkReady"/>) before the old
/// one is withdrawn. Runs inside a reconcile pass, under its lock, and in a quarantine outside it (see <see cref="Sync"/>).
/// </summary>
public sealed partial class ServiceSync(InstanceService instances, IServiceTable table, IReadinessGate readiness,
    Func<InstanceRecord, bool> unhealthy, ILogger logger)
{
    private readonly ConcurrentDictionary<string, byte> _ready = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _withdrawn = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private IReadOnlyList<ServiceBackends> _current = [];
    private string? _lastError;

    /// <summary>How long a replica not yet seen answering is probed during a pass (short: a pass must not stall on it).</summary>
    public TimeSpan ReadinessProbe { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>What the table says now.</summary>
    public IReadOnlyList<ServiceBackends> Current => _current;

    /// <summary>Raised after each write of the table, with what it says (tests follow a rollout's sets with it).</summary>
    public event Action<IReadOnlyList<ServiceBackends>>? Applied;

    /// <summary>The replica answered on its port (a rolling update's readiness gate): it may join its VNF's set.</summary>
    public void MarkReady(string id) => _ready[id] = 0;

    /// <summary>Forgets what was known of a replica (removed, or restarted: it must answer again before it rejoins).</summary>
    public void Forget(string id)
    {
        _ready.TryRemove(id, out _);
        _withdrawn.TryRemove(id, out _);
    }

    /// <summary>
    /// Takes the replica out of its VNF's set before it is stopped, then lets handshakes in flight finish. Without a wait
    /// when it was not in the set, or no longer runs (nothing to drain).
    /// </summary>
    public async Task WithdrawAsync(InstanceRecord r, CancellationToken ct)
    {
        _withdrawn[r.Id] = 0;
        var address = r.Address is null ? null : IPAddress.Parse(r.Address);
        if (address is null || !_current.Any(s => s.Backends.Contains(address)))
        {
            return;
        }
        Sync();
        if (table.DrainDelay > TimeSpan.Zero && instances.Observe(r) == ObservedState.Running)
        {
            await Task.Delay(table.DrainDelay, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Takes a replica out of its VNF's set at once and keeps it out until <see cref="Forget"/> (a quarantine): a Sync
    /// that already chose its sets still applies them without it, so no pass running meanwhile puts it back.
    /// </summary>
    public void Exclude(string id) => _withdrawn[id] = 0;

    /// <summary>Lets an excluded replica back (a quarantine refused): it rejoins on the next Sync, without probing again.</summary>
    public void Include(string id) => _withdrawn.TryRemove(id, out _);

    /// <summary>
    /// Allocates and releases service addresses and writes every VNF's current set to the table. Safe to call from a pass
    /// and a quarantine at once: the readiness probes (up to <see cref="ReadinessProbe"/> each) run outside the gate, so
    /// a quarantine's Sync never waits on them; the sets are made and written under it, with the excluded left out then.
    /// Without <paramref name="probe"/> (a quarantine) nothing is probed: a replica not yet seen answering stays out until a pass.
    /// </summary>
    public void Sync(bool probe = true)
    {
        try
        {
            var store = instances.Store;
            var records = store.List();
            var candidates = records.Where(r => r.Deployment is not null && r.Address is not null && !_withdrawn.ContainsKey(r.Id))
                .Where(r => !unhealthy(r) && (probe ? IsReady(r) : _ready.ContainsKey(r.Id)))
                .ToList();
            lock (_gate)
            {
                var book = new ServiceAddressBook(store).Reconcile(instances.Backends.Host.SegmentPool,
                    records.Where(r => r.Address is not null).Select(r => IPAddress.Parse(r.Address!)));
                var services = new List<ServiceBackends>();
                foreach (var d in store.Deployments())
                {
                    if (!book.TryGetValue(ServiceAddressBook.Key(d.Tenant, d.Name), out var address))
                    {
                        continue;
                    }
                    var backends = candidates
                        .Where(r => r.Tenant == d.Tenant && r.Deployment == d.Name && !_withdrawn.ContainsKey(r.Id))
                        .Select(r => IPAddress.Parse(r.Address!))
                        .OrderBy(a => a.ToString(), StringComparer.Ordinal)
                        .ToList();
                    services.Add(new ServiceBackends(ServiceAddressBook.Key(d.Tenant, d.Name), address, backends));
                }
                table.Apply(services);
                _current = services;
                Applied?.Invoke(services);
                _lastError = null;
            }
        }
        catch (Exception e) when (e is LightNfvException or IOException or UnauthorizedAccessException)
        {
            if (e.Message != _lastError)
            {
                LogSyncFailed(logger, e.Message); // once per distinct reason, not every second
                _lastError = e.Message;
            }
        }
    }

    private bool IsReady(InstanceRecord r)
    {
        if (_ready.ContainsKey(r.Id))
        {
            return true;
        }
        int? port;
        try
        {
            var spec = DescriptorParser.Parse(r.Descriptor).Spec;
            port = spec.Health?.TcpPort ?? spec.Network.ReadinessPort;
        }
        catch (LightNfvException)
        {
            return false;
        }
        if (port is null || readiness.WaitAnswering(r, port.Value, ReadinessProbe))
        {
            _ready[r.Id] = 0;
            return true;
        }
        return false;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "service addresses not written: {Reason}")]
    private static partial void LogSyncFailed(ILogger logger, string reason);
}

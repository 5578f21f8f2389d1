using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using LightNfv.Backends.Shared;
using LightNfv.Core.Backends;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;
using LightNfv.Core.Instances;
using LightNfv.Host.Cgroups;
using LightNfv.Host.Namespaces;
using LightNfv.Host.Network;
using LightNfv.Host.Probes;
using LightNfv.Host.Processes;
using LightNfv.Platform.Alerts;
using LightNfv.Platform.Lifecycle;
using LightNfv.Platform.Monitoring;
using LightNfv.Platform.Store;
using Microsoft.Extensions.Logging;

namespace LightNfv.Platform.Control;

/// <summary>What the daemon found and did at start-up (GET /api/v1/status reports it).</summary>
public sealed record AdoptionReport(int Adopted, int Healed, int HalfDoneRemoved, int OrphansRemoved, double ElapsedMs, DateTimeOffset At);

/// <summary>
/// Drives what runs on the host toward the desired state in the store: re-adopts running replicas at start-up (pid +
/// start time, so a recycled pid is never taken for ours), removes half-created replicas and orphans, heals replicas
/// whose process exited (a pidfd reports it at once), is stopped (SIGSTOP: /proc says so) or whose liveness probe
/// fails, converges replica counts and descriptor versions (rolling: one new replica up and answering before one old
/// one goes), and closes operation records, failing those that cannot progress within their bound
/// (<see cref="OperationBounds"/>). Every change to the host goes through one lock, so operations never interleave on
/// an instance.
/// </summary>
public sealed partial class Reconciler : IAsyncDisposable
{
    private readonly InstanceService _instances;
    private readonly PlatformStore _store;
    private readonly AlertHub _alerts;
    private readonly TimeProvider _time;
    private readonly ILogger<Reconciler> _logger;
    private readonly SemaphoreSlim _mutate = new(1, 1);
    private readonly SemaphoreSlim _kick = new(0, int.MaxValue);
    private readonly ProcessExitWatcher _watcher = new();
    private readonly ConcurrentDictionary<string, IDisposable> _watches = new();
    private readonly ConcurrentQueue<HealRequest> _heals = new();
    private readonly ConcurrentDictionary<string, HealHistory> _healHistory = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _createBackoff = new();
    private readonly LivenessTracker _liveness;
    private readonly ConcurrentDictionary<Task, byte> _probeTasks = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];

    public Reconciler(InstanceService instances, AlertHub alerts, TimeProvider time, ILogger<Reconciler> logger)
    {
        _instances = instances;
        _store = instances.Store;
        _alerts = alerts;
        _time = time;
        _logger = logger;
        _liveness = new LivenessTracker(time);
    }

    /// <summary>How long each operation may stay processing (LIGHTNFV_OPERATION_TIMEOUT overrides the defaults).</summary>
    public OperationBounds OperationBounds { get; init; } = OperationBounds.Parse(Environment.GetEnvironmentVariable("LIGHTNFV_OPERATION_TIMEOUT"));

    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Shells to keep in each backend's warm pool for fast scale-out (0 = off).</summary>
    public int WarmPool { get; init; }

    public AdoptionReport? Adoption { get; private set; }

    /// <summary>Heals done since start, for /metrics.</summary>
    public long HealCount => Interlocked.Read(ref _healCount);
    private long _healCount;

    /// <summary>Processes watched through pidfds right now.</summary>
    public int Watched => _watcher.Count;

    private sealed record HealRequest(string InstanceId, string Reason, bool Forced, string? OperationId);

    private sealed class HealHistory
    {
        public readonly List<DateTimeOffset> Heals = [];
        public DateTimeOffset NotBefore;
    }

    /// <summary>Adopts what runs, then starts the reconcile and liveness loops.</summary>
    public void Start()
    {
        Adopt();
        _loops.Add(Task.Run(() => LoopAsync(_stop.Token)));
        _loops.Add(Task.Run(() => ProbeLoopAsync(_stop.Token)));
        Kick();
    }

    /// <summary>Asks for a reconcile pass now (after an operation was recorded, or a process exited).</summary>
    public void Kick() => _kick.Release();

    // ---- start-up ---------------------------------------------------------------------------------

    private void Adopt()
    {
        var sw = Stopwatch.StartNew();
        int adopted = 0, healed = 0, halfDone = 0;
        _mutate.Wait();
        try
        {
            foreach (var r in _store.List())
            {
                if (r.Deployment is null)
                {
                    continue; // made by `lightnfv run`: the operator's, not the reconciler's
                }
                switch (r.State)
                {
                    case InstanceState.Creating or InstanceState.Destroying:
                        // Cut short by a crash: its create never finished (or its removal began). Remove it; the
                        // convergence pass makes a fresh replica if one is still wanted.
                        RemoveQuietly(r, "half-done at start-up");
                        halfDone++;
                        break;
                    case InstanceState.Running:
                        if (Observe(r) == ObservedState.Running && Watch(r))
                        {
                            adopted++;
                        }
                        else
                        {
                            _heals.Enqueue(new HealRequest(r.Id, "its process ended while the daemon was down", false, null));
                            healed++;
                        }
                        break;
                    case InstanceState.Exited:
                        _heals.Enqueue(new HealRequest(r.Id, "found exited at start-up", false, null));
                        healed++;
                        break;
                }
            }
            var orphans = SweepOrphans();
            Adoption = new AdoptionReport(adopted, healed, halfDone, orphans, sw.Elapsed.TotalMilliseconds, _time.GetUtcNow());
            LogAdopted(_logger, adopted, healed, halfDone, orphans, sw.Elapsed.TotalMilliseconds);
        }
        finally
        {
            _mutate.Release();
        }
    }

    /// <summary>
    /// Removes host resources named like an instance of this platform that no record owns (a crash between making
    /// them and recording them): cgroups, network namespaces, run directories. Warm-pool shells are not orphans.
    /// </summary>
    private int SweepOrphans() =>
        _instances.HostObjects.Sweep(_store.List().Select(r => r.Id), id => LogOrphan(_logger, id), (id, error) => LogOrphanFailed(_logger, id, error));

    // ---- loops ------------------------------------------------------------------------------------

    private async Task LoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await _kick.WaitAsync(Interval, ct).ConfigureAwait(false);
                while (_kick.CurrentCount > 0)
                {
                    _kick.Wait(0, CancellationToken.None); // coalesce kicks that arrived meanwhile
                }
                await ReconcileOnceAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogPassFailed(_logger, e.Message);
            }
        }
    }

    /// <summary>One pass: pending heals, then each deployment's convergence, then operation records.</summary>
    public async Task ReconcileOnceAsync(CancellationToken ct = default)
    {
        await _mutate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var deferred = new List<HealRequest>();
            while (_heals.TryDequeue(out var h))
            {
                if (!await HealAsync(h, ct).ConfigureAwait(false))
                {
                    deferred.Add(h);
                }
            }
            foreach (var h in deferred)
            {
                _heals.Enqueue(h);
            }
            var deployments = _store.Deployments();
            foreach (var d in deployments)
            {
                await ConvergeAsync(d, ct).ConfigureAwait(false);
            }
            // Replicas of terminated VNFs.
            var names = deployments.Select(d => (d.Tenant, d.Name)).ToHashSet();
            foreach (var r in _store.List().Where(r => r.Deployment is not null && !names.Contains((r.Tenant, r.Deployment))))
            {
                await RemoveAsync(r, ct).ConfigureAwait(false);
            }
            CloseOperations();
        }
        finally
        {
            _mutate.Release();
        }
    }

    // ---- convergence ------------------------------------------------------------------------------

    private async Task ConvergeAsync(Deployment d, CancellationToken ct)
    {
        var key = $"{d.Tenant}/{d.Name}";
        if (_createBackoff.TryGetValue(key, out var until) && _time.GetUtcNow() < until)
        {
            return;
        }
        var source = _store.Descriptor(d.Tenant, d.Name, d.Version);
        if (source is null)
        {
            return;
        }
        var descriptor = DescriptorParser.Parse(source.Source);
        await ReplaceFailedAsync(d, ct).ConfigureAwait(false);
        var replicas = ReplicasOf(d);
        var current = replicas.Where(r => r.Version == d.Version).ToList();
        var old = replicas.Where(r => r.Version != d.Version).OrderBy(r => r.CreatedAt).ToList();
        try
        {
            if (current.Count < d.Replicas)
            {
                if (old.Count == 0)
                {
                    for (var i = current.Count; i < d.Replicas; i++)
                    {
                        await CreateAsync(d, descriptor, ct).ConfigureAwait(false);
                    }
                }
                else
                {
                    // Rolling update: one new replica up and answering, then one old replica goes; next pass repeats.
                    var fresh = await CreateAsync(d, descriptor, ct).ConfigureAwait(false);
                    if (!WaitAnswering(fresh, descriptor))
                    {
                        throw new LightNfvException(ErrorKind.Host, $"new replica {fresh.Id} (version {d.Version}) did not answer on its port; the old ones keep serving");
                    }
                    await RemoveAsync(old[0], ct).ConfigureAwait(false);
                    old.RemoveAt(0);
                    if (old.Count > 0 || current.Count + 1 < d.Replicas)
                    {
                        Kick();
                    }
                    return;
                }
            }
            // Too many: old versions first, then the newest of the current ones.
            var victims = old.Concat(current.OrderByDescending(r => r.CreatedAt)).Take(Math.Max(0, ReplicasOf(d).Count - d.Replicas)).ToList();
            foreach (var v in victims)
            {
                await RemoveAsync(v, ct).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is LightNfvException or IOException)
        {
            _createBackoff[key] = _time.GetUtcNow() + TimeSpan.FromSeconds(5);
            LogConvergeFailed(_logger, key, e.Message);
            RollBack(d, e.Message);
        }
    }

    private List<InstanceRecord> ReplicasOf(Deployment d) =>
        _store.List().Where(r => r.Tenant == d.Tenant && r.Deployment == d.Name).ToList();

    private async Task<InstanceRecord> CreateAsync(Deployment d, VnfDescriptor descriptor, CancellationToken ct)
    {
        // Replica names are the VNF's name plus a short suffix, unique per tenant like Kubernetes pod names.
        var replica = descriptor with { Metadata = descriptor.Metadata with { Name = $"{d.Name}-{InstanceId.New()[..5]}" } };
        var record = await _instances.RunAsync(replica, new RunOptions { ReplicaOf = new ReplicaOf(d.Name, d.Version) }, ct).ConfigureAwait(false);
        Watch(record);
        LogCreated(_logger, record.Id, record.Name, d.Version);
        if (WarmPool > 0)
        {
            // Off the create path: the next scale-out claims a ready shell.
            _ = Task.Run(() =>
            {
                try
                {
                    _instances.RefillWarmPools(WarmPool);
                }
                catch (Exception e)
                {
                    LogPassFailed(_logger, $"warm pool refill: {e.Message}");
                }
            });
        }
        return record;
    }

    private bool WaitAnswering(InstanceRecord r, VnfDescriptor descriptor)
    {
        var port = descriptor.Spec.Health?.TcpPort ?? descriptor.Spec.Network.ReadinessPort;
        if (port is null || r.Address is null)
        {
            return true;
        }
        var host = _instances.Backends.Host;
        return TcpReadinessProbe.WaitForAnswer(host.Lab, IPAddress.Parse(r.Address), port.Value, Stopwatch.GetTimestamp(), TimeSpan.FromSeconds(10)).Ready;
    }

    private async Task RemoveAsync(InstanceRecord r, CancellationToken ct)
    {
        Unwatch(r.Id);
        await _instances.RemoveAsync(r, ct).ConfigureAwait(false);
        _healHistory.TryRemove(r.Id, out _);
        _liveness.Forget(r.Id);
        LogRemoved(_logger, r.Id, r.Name);
    }

    private void RemoveQuietly(InstanceRecord r, string why)
    {
        try
        {
            RemoveAsync(r, CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            LogOrphanFailed(_logger, r.Id, $"{why}: {e.Message}");
        }
    }

    // ---- operations -------------------------------------------------------------------------------

    /// <summary>Marks processing operations completed once their VNF has converged, or failed when they cannot progress.</summary>
    /// <param name="failuresOnly">Only fail what cannot progress (used from outside a pass that is stuck).</param>
    private void CloseOperations(bool failuresOnly = false)
    {
        lock (_closing)
        {
            CloseOperationsLocked(failuresOnly);
        }
    }

    private readonly Lock _closing = new();

    /// <summary>
    /// A pass can be stuck for long in a backend call (an image build, a hung runtime): the probe loop then fails the
    /// operations that passed their bound from outside it, so the VNF's next operation is not held at 409 meanwhile.
    /// </summary>
    private void FailOverdueOperations()
    {
        if (_mutate.CurrentCount > 0)
        {
            return; // no pass in progress: the next one closes operations itself
        }
        try
        {
            CloseOperations(failuresOnly: true);
        }
        catch (Exception e) when (e is LightNfvException or IOException)
        {
            LogPassFailed(_logger, $"closing overdue operations: {e.Message}");
        }
    }

    private void CloseOperationsLocked(bool failuresOnly)
    {
        foreach (var op in _store.Operations(OperationState.Processing))
        {
            if (op.Kind == OperationKinds.Heal)
            {
                if (failuresOnly)
                {
                    continue;
                }
                if (!_heals.Any(h => h.OperationId == op.Id))
                {
                    // Only left processing by a crash in the middle of a heal: the convergence since then decided.
                    var r = op.Parameters.TryGetValue("instanceId", out var id) ? _store.Get(id) : null;
                    _store.FinishOperation(op.Id, r is null or { State: InstanceState.Running } ? OperationState.Completed : OperationState.Failed,
                        r is null or { State: InstanceState.Running } ? null : "the instance did not come back");
                }
                continue;
            }
            var d = _store.Deployment(op.Tenant, op.Deployment);
            var replicas = _store.List().Where(r => r.Tenant == op.Tenant && r.Deployment == op.Deployment).ToList();
            var verdict = OperationBounds.Evaluate(op, d, replicas, _time.GetUtcNow(), BoundOf(op, d, replicas));
            if (verdict.State == OperationState.Failed)
            {
                _store.FinishOperation(op.Id, OperationState.Failed, verdict.Error);
                LogOperation(_logger, op.Id, op.Kind, op.Deployment, $"failed: {verdict.Error}");
                _alerts.Raise(AlertKinds.OperationFailed, op.Tenant, op.Deployment, null, $"{op.Kind} of {op.Deployment} failed: {verdict.Error}");
                continue;
            }
            if (verdict.State != OperationState.Completed || failuresOnly)
            {
                continue;
            }
            _store.FinishOperation(op.Id, OperationState.Completed);
            LogOperation(_logger, op.Id, op.Kind, op.Deployment, "completed");
            if (op.Kind == OperationKinds.Scale)
            {
                _alerts.Raise(AlertKinds.VnfScaled, op.Tenant, op.Deployment, null,
                    $"{op.Deployment} scaled from {op.Parameters.GetValueOrDefault("previousReplicas", "?")} to {d!.Replicas} replica(s){(op.Parameters.ContainsKey("policy") ? $" by policy ({op.Parameters["policy"]})" : "")}");
            }
            else
            {
                _alerts.Raise(AlertKinds.OperationCompleted, op.Tenant, op.Deployment, null, $"{op.Kind} of {op.Deployment} completed (operation {op.Id})");
            }
        }
    }

    /// <summary>The bound of a processing operation, from the technology and health of the VNF's descriptor.</summary>
    private TimeSpan BoundOf(OperationRecord op, Deployment? d, IReadOnlyList<InstanceRecord> replicas)
    {
        var source = d is not null ? _store.Descriptor(d.Tenant, d.Name, d.Version)?.Source : replicas.FirstOrDefault()?.Descriptor;
        var descriptor = source is null ? null : Parsed(source);
        return OperationBounds.For(op, descriptor?.Spec.Technology ?? Technology.Process, descriptor?.Spec.Health ?? HealthSpec.Default,
            d?.Replicas ?? 0, replicas.Count);
    }

    /// <summary>
    /// The processing scale or update of a VNF replaces the replicas it found failed (left so by their heal budget or
    /// a failed heal) instead of counting them: the operator asked for that many serving replicas, and a failed one
    /// serves nothing, so counting it would end the operation short of what was asked, or never end it. Only
    /// replicas failed before the operation began are replaced, once per operation; one that fails again fails the
    /// operation with its reason (see <see cref="OperationBounds.Evaluate"/>), so a crash-looping VNF does not loop.
    /// </summary>
    private async Task ReplaceFailedAsync(Deployment d, CancellationToken ct)
    {
        var op = _store.Operations(OperationState.Processing)
            .FirstOrDefault(o => o.Tenant == d.Tenant && o.Deployment == d.Name && o.Kind is OperationKinds.Scale or OperationKinds.Update);
        if (op is null)
        {
            return;
        }
        foreach (var r in ReplicasOf(d).Where(r => r.State == InstanceState.Failed && r.CreatedAt < op.CreatedAt))
        {
            LogReplacing(_logger, r.Id, r.Name, op.Kind, r.Error ?? "");
            try
            {
                await RemoveAsync(r, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is LightNfvException or IOException)
            {
                // Left in place: the operation then fails within its bound, naming the replica.
                LogConvergeFailed(_logger, $"{d.Tenant}/{d.Name}", $"could not remove failed replica {r.Id}: {e.Message}");
            }
        }
    }

    /// <summary>A failed convergence rolls the VNF's pending operation back: desired state returns to what it was.</summary>
    private void RollBack(Deployment d, string error)
    {
        var op = _store.Operations(OperationState.Processing).FirstOrDefault(o => o.Tenant == d.Tenant && o.Deployment == d.Name && o.Kind != OperationKinds.Heal);
        if (op is null)
        {
            _alerts.Raise(AlertKinds.OperationFailed, d.Tenant, d.Name, null, $"{d.Name} could not converge: {error}");
            return;
        }
        var p = op.Parameters;
        Deployment? previous = op.Kind switch
        {
            OperationKinds.Instantiate => null,
            OperationKinds.Scale => d with { Replicas = int.Parse(p["previousReplicas"], CultureInfo.InvariantCulture) },
            OperationKinds.Update => d with { Version = int.Parse(p["previousVersion"], CultureInfo.InvariantCulture) },
            _ => d,
        };
        // Records the rollback itself as desired state (a crash now still converges to the old state), then closes the op.
        _store.BeginOperation(OperationKinds.Rollback, d.Tenant, d.Name, previous, new Dictionary<string, string> { ["of"] = op.Id });
        foreach (var rb in _store.Operations(OperationState.Processing).Where(o => o.Kind == OperationKinds.Rollback && o.Deployment == d.Name))
        {
            _store.FinishOperation(rb.Id, OperationState.Completed);
        }
        _store.FinishOperation(op.Id, OperationState.RolledBack, error);
        _createBackoff.TryRemove($"{d.Tenant}/{d.Name}", out _);
        _alerts.Raise(AlertKinds.OperationFailed, d.Tenant, d.Name, null, $"{op.Kind} of {d.Name} failed and was rolled back: {error}");
        Kick();
    }

    // ---- healing ----------------------------------------------------------------------------------

    /// <summary>Heals one replica now (restart or recreate per its descriptor), recorded as operation <paramref name="operationId"/>.</summary>
    public void RequestHeal(string instanceId, string reason, string? operationId = null)
    {
        if (_healHistory.TryGetValue(instanceId, out var h))
        {
            lock (h.Heals)
            {
                h.Heals.Clear(); // an operator's heal resets the budget
                h.NotBefore = default;
            }
        }
        _heals.Enqueue(new HealRequest(instanceId, reason, true, operationId));
        Kick();
    }

    private ObservedState Observe(InstanceRecord r)
    {
        var backend = _instances.Backends.Find(r.Technology);
        return backend?.Inspect(r.AsBackendInstance()).State ?? ObservedState.Missing;
    }

    private bool Watch(InstanceRecord r)
    {
        if (ProcessIdentity.From(r.Facts.Process) is not { } process)
        {
            return false;
        }
        Unwatch(r.Id);
        var id = r.Id;
        _watches[id] = _watcher.Watch(process, exited =>
        {
            _watches.TryRemove(id, out _);
            LogExited(_logger, id, process.Pid);
            _heals.Enqueue(new HealRequest(id, $"process {process.Pid} exited", false, null));
            Kick();
        });
        return true;
    }

    private void Unwatch(string id)
    {
        if (_watches.TryRemove(id, out var w))
        {
            w.Dispose();
        }
    }

    /// <summary>Returns false when the heal must wait (cooldown); true when done or not needed.</summary>
    private async Task<bool> HealAsync(HealRequest request, CancellationToken ct)
    {
        var r = _store.Get(request.InstanceId);
        if (r?.Deployment is null || r.State is InstanceState.Stopped or InstanceState.Creating or InstanceState.Destroying ||
            _store.Deployment(r.Tenant, r.Deployment) is not { } d)
        {
            FinishHealOperation(request, OperationState.Completed, null);
            return true;
        }
        if (!request.Forced && r.State == InstanceState.Running && Observe(r) == ObservedState.Running)
        {
            return true; // a stale report: it runs
        }
        var descriptor = DescriptorParser.Parse(r.Descriptor);
        var health = descriptor.Spec.Health ?? HealthSpec.Default;
        var history = _healHistory.GetOrAdd(r.Id, _ => new HealHistory());
        var now = _time.GetUtcNow();
        lock (history.Heals)
        {
            if (now < history.NotBefore)
            {
                return false;
            }
            history.Heals.RemoveAll(t => now - t > HealthSpec.BudgetWindow);
            if (history.Heals.Count >= health.Budget)
            {
                if (r.State != InstanceState.Failed)
                {
                    _store.Update(r.Id, InstanceState.Failed, error: $"heal budget of {health.Budget} per {HealthSpec.BudgetWindow.TotalMinutes:0} min used up");
                    _alerts.Raise(AlertKinds.QuotaReached, r.Tenant, r.Deployment, r.Id,
                        $"{r.Name}: {request.Reason}; heal budget ({health.Budget} per {HealthSpec.BudgetWindow.TotalMinutes:0} min) used up, left failed (POST /api/v1/vnfs/{r.Deployment}/heal to retry)");
                }
                FinishHealOperation(request, OperationState.Failed, "heal budget used up");
                return true;
            }
            history.Heals.Add(now);
            history.NotBefore = now + health.Cooldown;
        }
        var started = Stopwatch.GetTimestamp();
        _alerts.Raise(AlertKinds.InstanceFailed, r.Tenant, r.Deployment, r.Id, $"{r.Name}: {request.Reason}");
        var opId = request.OperationId ?? _store.BeginOperation(OperationKinds.Heal, r.Tenant, r.Deployment, d,
            new Dictionary<string, string> { ["instanceId"] = r.Id, ["reason"] = request.Reason, ["action"] = health.Action.ToString().ToLowerInvariant() }).Id;
        request = request with { OperationId = opId };
        try
        {
            Unwatch(r.Id);
            _liveness.Forget(r.Id);
            if (health.Action == HealAction.Restart && r.State != InstanceState.Failed)
            {
                // Stop first, also when the process is already dead: it kills stragglers in the cgroup and reaps the
                // dead VNF's supervisor (our child as subreaper), so heals leave no zombies behind.
                var backend = _instances.Backends.Require(r.Technology);
                var stopped = await backend.StopAsync(r.AsBackendInstance(), TimeSpan.Zero, ct).ConfigureAwait(false);
                _store.Update(r.Id, InstanceState.Exited, stopped, request.Reason);
                var restarted = await _instances.StartAsync(r.Id, ct).ConfigureAwait(false);
                Watch(restarted);
            }
            else
            {
                await RemoveAsync(r, ct).ConfigureAwait(false);
                await CreateAsync(d, DescriptorParser.Parse(_store.Descriptor(d.Tenant, d.Name, d.Version)!.Source), ct).ConfigureAwait(false);
            }
            Interlocked.Increment(ref _healCount);
            var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            FinishHealOperation(request, OperationState.Completed, null);
            _alerts.Raise(AlertKinds.InstanceHealed, r.Tenant, r.Deployment, r.Id,
                $"{r.Name}: {(health.Action == HealAction.Restart ? "restarted" : "recreated")} in {ms.ToString("0.0", CultureInfo.InvariantCulture)} ms");
        }
        catch (Exception e) when (e is LightNfvException or IOException)
        {
            FinishHealOperation(request, OperationState.Failed, e.Message);
            _store.Update(r.Id, InstanceState.Failed, error: $"heal failed: {e.Message}");
            _alerts.Raise(AlertKinds.OperationFailed, r.Tenant, r.Deployment, r.Id, $"heal of {r.Name} failed: {e.Message}");
        }
        return true;
    }

    private void FinishHealOperation(HealRequest request, OperationState state, string? error)
    {
        if (request.OperationId is { } id && _store.Operation(id) is { State: OperationState.Processing })
        {
            _store.FinishOperation(id, state, error);
        }
    }

    private readonly ConcurrentDictionary<string, VnfDescriptor?> _parsed = new(StringComparer.Ordinal);

    /// <summary>Descriptors parsed once per text: the probe loop looks at every replica's many times a second.</summary>
    private VnfDescriptor? Parsed(string source) => _parsed.GetOrAdd(source, s =>
    {
        try
        {
            return DescriptorParser.Parse(s);
        }
        catch (LightNfvException)
        {
            return null;
        }
    });

    /// <summary>
    /// Liveness of every running replica under the daemon, each on its own schedule (<see cref="LivenessTracker"/>):
    /// the host's view of its processes for every replica (one stopped: failed), then its TCP probe if it has one.
    /// Probes run concurrently, at most one per replica, so one slow replica does not delay the others' verdicts.
    /// </summary>
    private async Task ProbeLoopAsync(CancellationToken ct)
    {
        // 100 ms steps: the finest probe interval that matters (dead processes are seen at once through pidfds anyway).
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100), _time);
        var ticks = 0L;
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                var probed = new HashSet<string>(StringComparer.Ordinal);
                foreach (var r in _store.List().Where(r => r.Deployment is not null && r.State == InstanceState.Running))
                {
                    probed.Add(r.Id);
                    var health = Parsed(r.Descriptor)?.Spec.Health ?? HealthSpec.Default;
                    if (!_liveness.TryBegin(r.Id, health))
                    {
                        continue;
                    }
                    var task = Task.Run(() => ProbeOneAsync(r, health, ct), CancellationToken.None);
                    _probeTasks[task] = 0;
                    _ = task.ContinueWith(t => _probeTasks.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                }
                _liveness.Retain(probed);
                foreach (var id in _frozen.Keys.Where(k => !probed.Contains(k)).ToList())
                {
                    _frozen.TryRemove(id, out _);
                }
                if (++ticks % 10 == 0)
                {
                    FailOverdueOperations();
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private async Task ProbeOneAsync(InstanceRecord r, HealthSpec health, CancellationToken ct)
    {
        string? failure;
        try
        {
            var check = await CheckLivenessAsync(r, health, ct).ConfigureAwait(false);
            if (check.Frozen)
            {
                if (_frozen.TryAdd(r.Id, 0))
                {
                    LogFrozen(_logger, r.Id);
                }
                _liveness.Held(r.Id);
                return;
            }
            _frozen.TryRemove(r.Id, out _);
            failure = check.Failure;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e)
        {
            // The probe itself broke (the lab went away, a host error): not the VNF's fault, and not a pass either.
            LogPassFailed(_logger, $"liveness probe of {r.Id}: {e.Message}");
            _liveness.Held(r.Id);
            return;
        }
        if (failure is not null)
        {
            LogProbeFailed(_logger, r.Id, failure);
        }
        if (_liveness.Complete(r.Id, health, failure) is { } reason)
        {
            _heals.Enqueue(new HealRequest(r.Id, reason, true, null));
            Kick();
        }
    }

    private readonly ConcurrentDictionary<string, byte> _frozen = new(StringComparer.Ordinal);

    private readonly record struct LivenessCheck(bool Frozen, string? Failure);

    /// <summary>
    /// One liveness check of a replica. Its cgroup frozen: held, not judged (the hook for a quarantine). Any of its
    /// processes stopped: failed, whatever the network says, because the kernel completes a stopped listener's
    /// handshakes. Then the TCP probe, if the descriptor has one.
    /// </summary>
    private async Task<LivenessCheck> CheckLivenessAsync(InstanceRecord r, HealthSpec health, CancellationToken ct)
    {
        var host = _instances.Backends.Host;
        var cgroupPath = r.Facts.Cgroup ?? host.CgroupPath(r.Id);
        var cgroup = host.Cgroups.Open(cgroupPath);
        if (cgroup is not null && (ReplicaProcesses.IsFrozen(cgroup) ||
            (host.Cgroups.Version == "v1" && ReplicaProcesses.V1FreezerDirectory(cgroupPath, _mounts.Value) is { } freezer && ReplicaProcesses.IsFrozenDirectory(freezer))))
        {
            return new LivenessCheck(true, null);
        }
        var pids = new List<int>();
        if (ProcessIdentity.From(r.Facts.Process) is { IsAlive: true } main)
        {
            pids.Add(main.Pid);
        }
        if (cgroup is not null)
        {
            pids.AddRange(cgroup.Pids());
        }
        var stopped = ReplicaProcesses.Stopped(pids);
        if (stopped.Count > 0)
        {
            var s = stopped[0];
            return new LivenessCheck(false, $"process {s.Pid} ({s.Command}) is {(s.State == 'T' ? "stopped (state T: SIGSTOP or SIGTSTP)" : "stopped by a tracer (state t)")}" +
                (stopped.Count > 1 ? $", and {stopped.Count - 1} more of its processes" : ""));
        }
        if (health.TcpPort is not { } port || r.Address is null)
        {
            return new LivenessCheck(false, null);
        }
        var failure = await TcpLivenessProbe.CheckAsync(
            () => host.Lab.RunInLab(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)),
            IPAddress.Parse(r.Address), port, health, ct).ConfigureAwait(false);
        return new LivenessCheck(false, failure);
    }

    /// <summary>The mount table, read once: where a v1 freezer hierarchy is mounted, if anywhere.</summary>
    private readonly Lazy<IReadOnlyList<MountInfoEntry>> _mounts = new(() =>
    {
        try
        {
            return MountInfo.Read();
        }
        catch (LightNfvException)
        {
            return [];
        }
    });

    private int _disposed;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_loops).ConfigureAwait(false);
            await Task.WhenAll(_probeTasks.Keys).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        // Instances keep running when the daemon stops (like dockerd's live-restore); the next start re-adopts them.
        foreach (var w in _watches.Values)
        {
            w.Dispose();
        }
        _watcher.Dispose();
        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "start-up: adopted {Adopted} running replica(s), {Healed} to heal, removed {HalfDone} half-done and {Orphans} orphan(s) in {Ms:0.0} ms")]
    private static partial void LogAdopted(ILogger logger, int adopted, int healed, int halfDone, int orphans, double ms);

    [LoggerMessage(Level = LogLevel.Warning, Message = "removed orphan {Id} (host resources without a record)")]
    private static partial void LogOrphan(ILogger logger, string id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "could not remove {Id}: {Reason}")]
    private static partial void LogOrphanFailed(ILogger logger, string id, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "reconcile pass failed: {Reason}")]
    private static partial void LogPassFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Vnf} did not converge: {Reason}")]
    private static partial void LogConvergeFailed(ILogger logger, string vnf, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "created replica {Id} ({Name}, version {Version})")]
    private static partial void LogCreated(ILogger logger, string id, string name, int version);

    [LoggerMessage(Level = LogLevel.Information, Message = "removed replica {Id} ({Name})")]
    private static partial void LogRemoved(ILogger logger, string id, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "instance {Id}: process {Pid} exited")]
    private static partial void LogExited(ILogger logger, string id, int pid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "replacing failed replica {Id} ({Name}) for a {Kind}: {Reason}")]
    private static partial void LogReplacing(ILogger logger, string id, string name, string kind, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "instance {Id}: {Reason}")]
    private static partial void LogProbeFailed(ILogger logger, string id, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "instance {Id}: its cgroup is frozen; not probed or healed while it stays so")]
    private static partial void LogFrozen(ILogger logger, string id);

    [LoggerMessage(Level = LogLevel.Information, Message = "operation {Id} ({Kind} of {Vnf}) {Outcome}")]
    private static partial void LogOperation(ILogger logger, string id, string kind, string vnf, string outcome);
}

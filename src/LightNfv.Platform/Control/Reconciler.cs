using LightNfv.Core.Backends;
using LightNfv.Core.Identity;
using LightNfv.Core.Instances;
using LightNfv.Platform.Alerts;
using LightNfv.Platform.Control.Adoption;
using LightNfv.Platform.Control.Healing;
using LightNfv.Platform.Control.Liveness;
using LightNfv.Platform.Control.Operations;
using LightNfv.Platform.Control.Rollout;
using LightNfv.Platform.Control.Service;
using LightNfv.Platform.Lifecycle;
using LightNfv.Platform.Store;
using Microsoft.Extensions.Logging;

namespace LightNfv.Platform.Control;

/// <summary>
/// Drives what runs on the host toward the desired state in the store, through its parts: adoption at start-up
/// (<see cref="ReplicaAdoption"/>), heals (<see cref="Healer"/> under a <see cref="IHealPolicy"/>), convergence and
/// rolling updates (<see cref="Convergence"/>), operation records (<see cref="OperationBook"/>), and the liveness loop
/// (<see cref="LivenessProber"/>). This class only coordinates: every change to the host runs under its one lock, so
/// operations never interleave on an instance; its loop runs a pass when kicked or every <see cref="Interval"/>.
/// </summary>
public sealed partial class Reconciler : IAsyncDisposable
{
    private readonly ILogger<Reconciler> _logger;
    private readonly SemaphoreSlim _mutate = new(1, 1);
    private readonly SemaphoreSlim _kick = new(0, int.MaxValue);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private readonly ReconcilerSeams _seams;
    private readonly RolloutOptions _rollout = new();
    private readonly ReplicaAdoption _adoption;
    private readonly Healer _healer;
    private readonly LivenessTracker _liveness;
    private readonly Convergence _convergence;
    private readonly OperationBook _operations;
    private readonly LivenessProber _prober;
    private readonly ServiceSync _services;
    private readonly ReplicaActions _replicas;
    private readonly AlertHub _alerts;

    /// <param name="seams">Where the parts meet the host; null for the real host's (<see cref="ReconcilerSeams.ForHost"/>).</param>
    /// <param name="healPolicy">Null for the descriptor's budget and cooldown (<see cref="BudgetHealPolicy"/>).</param>
    public Reconciler(InstanceService instances, AlertHub alerts, TimeProvider time, ILogger<Reconciler> logger,
        ReconcilerSeams? seams = null, IHealPolicy? healPolicy = null)
    {
        _logger = logger;
        _alerts = alerts;
        _seams = seams ?? ReconcilerSeams.ForHost(instances, logger);
        var store = instances.Store;
        var descriptors = new DescriptorCache();
        var liveness = _liveness = new LivenessTracker(time);
        var heals = new HealQueue(Kick);
        healPolicy ??= new BudgetHealPolicy(time);
        var replicas = _replicas = new ReplicaActions(instances, _seams.Watcher, heals, healPolicy, liveness, _rollout, logger);
        _operations = new OperationBook(store, alerts, heals, descriptors, time, Kick, logger)
        {
            Bounds = OperationBounds.Parse(Environment.GetEnvironmentVariable("LIGHTNFV_OPERATION_TIMEOUT")),
        };
        _adoption = new ReplicaAdoption(store, replicas, heals, _seams.Orphans, time, logger);
        _healer = new Healer(store, replicas, heals, healPolicy, liveness, alerts);
        _convergence = new Convergence(store, replicas, _operations, _seams.Readiness, _rollout, time, Kick, logger);
        _services = new ServiceSync(instances, _seams.Services, _seams.Readiness, IsUnhealthy, logger);
        replicas.Services = _services;
        _prober = new LivenessProber(store, _seams.Liveness, liveness, heals, descriptors, new LivenessOptions(), time, logger);
    }

    /// <summary>How long each operation may stay processing (LIGHTNFV_OPERATION_TIMEOUT overrides the defaults).</summary>
    public OperationBounds OperationBounds
    {
        get => _operations.Bounds;
        init => _operations.Bounds = value;
    }

    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Shells to keep in each backend's warm pool for fast scale-out (0 = off).</summary>
    public int WarmPool
    {
        get => _rollout.WarmPool;
        init => _rollout.WarmPool = value;
    }

    public AdoptionReport? Adoption { get; private set; }

    /// <summary>Service addresses and the replicas behind each (see <see cref="ServiceSync"/>).</summary>
    public ServiceSync Services => _services;

    /// <summary>Heals done since start, for /metrics.</summary>
    public long HealCount => _healer.HealCount;

    /// <summary>Processes watched for their exit right now.</summary>
    public int Watched => _seams.Watcher.Count;

    /// <summary>Adopts what runs, then starts the reconcile and liveness loops.</summary>
    public void Start()
    {
        Adopt();
        _loops.Add(Task.Run(() => LoopAsync(_stop.Token)));
        _loops.Add(Task.Run(() => _prober.RunAsync(FailOverdueOperations, _stop.Token)));
        Kick();
    }

    /// <summary>Asks for a reconcile pass now (after an operation was recorded, or a process exited).</summary>
    public void Kick() => _kick.Release();

    /// <summary>Takes over what runs (see <see cref="ReplicaAdoption"/>); <see cref="Start"/> does it first.</summary>
    public AdoptionReport Adopt()
    {
        _mutate.Wait();
        try
        {
            return Adoption = _adoption.Adopt();
        }
        finally
        {
            _mutate.Release();
        }
    }

    private async Task LoopAsync(CancellationToken ct)
    {
        Caller.Current = Caller.System("reconcile"); // whatever a pass records is the platform's doing, not the daemon starter's
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
            await _healer.RunPendingAsync(ct).ConfigureAwait(false);
            await _convergence.ConvergeAllAsync(ct).ConfigureAwait(false);
            _services.Sync();
            _operations.Close();
        }
        finally
        {
            _mutate.Release();
        }
    }

    /// <summary>One step of the liveness loop: starts the probes that are due and waits for them (tests drive it so).</summary>
    public async Task ProbeOnceAsync(CancellationToken ct = default)
    {
        _prober.Step(ct);
        await _prober.DrainAsync().ConfigureAwait(false);
    }

    /// <summary>Unhealthy now: not running as stored or as the backend sees it, or failing its liveness probe.</summary>
    public bool IsUnhealthy(InstanceRecord r) =>
        r.State != InstanceState.Running || _healer.Observe(r) != ObservedState.Running || _liveness.IsFailing(r.Id);

    /// <summary>Heals one replica now (restart or recreate per its descriptor), recorded as operation <paramref name="operationId"/>.</summary>
    public void RequestHeal(string instanceId, string reason, string? operationId = null) => _healer.Request(instanceId, reason, operationId);

    /// <summary>Takes a replica out of its VNF under the pass lock (see <see cref="ReplicaActions.DetachAsync"/>), then asks for a pass: the VNF gets a replacement.</summary>
    public async Task<InstanceRecord> DetachAsync(InstanceRecord replica, CancellationToken ct = default)
    {
        if (replica.Deployment is null)
        {
            return replica;
        }
        await _mutate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            return await _replicas.DetachAsync(replica, ct).ConfigureAwait(false);
        }
        finally
        {
            _mutate.Release();
            Kick();
        }
    }

    /// <summary>Fails overdue operations from outside a pass that is stuck in a backend call; a free lock means no pass runs.</summary>
    private void FailOverdueOperations()
    {
        if (_mutate.CurrentCount == 0)
        {
            _operations.FailOverdue();
        }
    }

    private readonly Lock _disposeGate = new();
    private Task? _disposal;

    /// <summary>
    /// Stops the loops once; a second caller waits for the first to finish, so nobody disposes what the loops still
    /// read (a host stopped twice, as WebApplicationFactory's and RunAsync's paths do, disposes the store right after).
    /// </summary>
    public ValueTask DisposeAsync()
    {
        lock (_disposeGate)
        {
            _disposal ??= DisposeOnceAsync();
            return new ValueTask(_disposal);
        }
    }

    private async Task DisposeOnceAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_loops).ConfigureAwait(false);
            await _prober.DrainAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        // Instances keep running when the daemon stops (like dockerd's live-restore); the next start re-adopts them.
        _seams.Watcher.Dispose();
        _stop.Dispose();
    }
}

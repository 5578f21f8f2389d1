using System.Net;

namespace LightNfv.Platform.Control.Service;

/// <summary>One VNF's service address and the replicas that take its new connections now (empty: refused at once).</summary>
public sealed record ServiceBackends(string Vnf, IPAddress Address, IReadOnlyList<IPAddress> Backends);

/// <summary>
/// Where service addresses meet the host: the lab's load-balancing table (<see cref="NftServiceTable"/> on a real host),
/// replaced as a whole each time the backend sets change. Tests use a recording one.
/// </summary>
public interface IServiceTable
{
    /// <summary>Makes the host's table say exactly <paramref name="services"/> (none: the table is removed).</summary>
    void Apply(IReadOnlyList<ServiceBackends> services);

    /// <summary>How long a replica taken out of a set keeps running before it is stopped, so handshakes already on
    /// their way to it (conntrack has pinned them there) complete.</summary>
    TimeSpan DrainDelay { get; }
}

/// <summary>A table that only remembers what it was told (the host-free seams of tests, and hosts without a lab).</summary>
public sealed class InMemoryServiceTable : IServiceTable
{
    public IReadOnlyList<ServiceBackends> Current { get; private set; } = [];

    /// <summary>Nothing is in flight in memory.</summary>
    public TimeSpan DrainDelay => TimeSpan.Zero;

    public void Apply(IReadOnlyList<ServiceBackends> services) => Current = services;
}

using LightNfv.Backends.Shared;
using LightNfv.Backends.Process;
using LightNfv.Core.Backends;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;

namespace LightNfv.Backends;

/// <summary>Backends by technology. A technology without an implementation yet answers its probe with the reason.</summary>
public sealed class BackendRegistry
{
    private readonly Dictionary<Technology, IBackend> _backends = new();

    public BackendRegistry(BackendContext host)
    {
        Host = host;
        Register(new ProcessBackend(host));
        Register(new Oci.ContainerBackend(host));
        Register(new Docker.DockerBackend(host));
        Register(new Unikernel.UnikernelBackend(host));
        Register(new MicroVm.TinyxBackend(host));
        Register(new StandardVm.StandardVmBackend(host));
    }

    public BackendContext Host { get; }

    public void Register(IBackend backend) => _backends[backend.Technology] = backend;

    public IBackend? Find(Technology technology) => _backends.GetValueOrDefault(technology);

    private readonly Dictionary<Technology, BackendProbe> _available = new();

    public BackendProbe Probe(Technology technology) =>
        Find(technology)?.Probe() ?? BackendProbe.Missing($"the {technology.ToName()} backend is not implemented in this version of LightNFV");

    /// <summary>The backend for a technology, or an error naming the field, the reason and the fix.</summary>
    /// <remarks>
    /// A successful probe is remembered for the registry's life (one CLI invocation, or the daemon): it is on every
    /// instantiation's path, and a backend that disappears later still fails its create with a clear error.
    /// </remarks>
    public IBackend Require(Technology technology)
    {
        BackendProbe? probe;
        lock (_available)
        {
            _available.TryGetValue(technology, out probe);
        }
        if (probe is null)
        {
            probe = Probe(technology);
            if (probe.Available)
            {
                lock (_available)
                {
                    _available[technology] = probe;
                }
            }
        }
        if (!probe.Available)
        {
            throw new LightNfvException(ErrorKind.Unavailable, $"spec.technology: '{technology.ToName()}' is not available on this host: {probe.Reason}");
        }
        return _backends[technology];
    }
}

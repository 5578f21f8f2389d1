using LightNfv.Backends.Process;
using LightNfv.Backends.Shared;
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

    /// <summary>What callers need to know about a technology: its backend's profile, or the default one.</summary>
    public BackendProfile Profile(Technology technology) => Find(technology)?.Profile ?? ProfileOf(technology);

    /// <summary>
    /// The profile of the backend this build has for a technology, without a registry (the operation bounds, the
    /// bench's descriptor); the one place that maps a technology to its backend's constants.
    /// </summary>
    public static BackendProfile ProfileOf(Technology technology) => technology switch
    {
        Technology.Process => ProcessBackend.Known,
        Technology.Container => Oci.ContainerBackend.Known,
        Technology.Docker => Docker.DockerBackend.Known,
        Technology.Unikernel => Unikernel.UnikernelBackend.Known,
        Technology.Tinyx => MicroVm.TinyxBackend.Known,
        Technology.StandardVm => StandardVm.StandardVmBackend.Known,
        _ => BackendProfile.Default,
    };

    /// <summary>
    /// Admission of a descriptor, the same for every entry point (CLI validate and run, API upload and VNF create):
    /// the parser's syntax and generic rules, then the technology's own rules by its backend. Throws a
    /// <see cref="DescriptorException"/> naming the field and the fix.
    /// </summary>
    public VnfDescriptor Admit(string yaml) => Admit(DescriptorParser.Parse(yaml));

    /// <inheritdoc cref="Admit(string)"/>
    public VnfDescriptor Admit(VnfDescriptor descriptor)
    {
        Validate(descriptor.Spec);
        return descriptor;
    }

    /// <summary>The technology's own rules for a parsed spec; a technology without a backend takes the shared ones.</summary>
    public void Validate(VnfSpec spec)
    {
        if (Find(spec.Technology) is { } backend)
        {
            backend.Validate(spec);
        }
        else
        {
            SpecRules.RejectRuntime(spec);
            SpecRules.RejectAccel(spec);
        }
    }

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

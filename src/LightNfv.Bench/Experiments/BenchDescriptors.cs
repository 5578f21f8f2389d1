using LightNfv.Backends;
using LightNfv.Core.Descriptors;

namespace LightNfv.Bench.Experiments;

/// <summary>
/// The benchmark's VNF: the draft's workload (an iperf3 server), the same descriptor for every technology, except the
/// memory, which the technology's bench profile gives (a standard VM's initrd does not unpack in 128 MiB).
/// </summary>
public static class BenchDescriptors
{
    public const string Tenant = "bench";

    public static VnfDescriptor Iperf3(Technology technology, string name, string? runtime = null, string runtimeField = "runtime") => DescriptorParser.Parse($"""
        apiVersion: lightnfv/v1
        kind: Vnf
        metadata:
          name: {name}
          tenant: {Tenant}
        spec:
          technology: {technology.ToName()}{(runtime is null ? "" : $"\n  {runtimeField}: {runtime}")}
          app:
            builtin: iperf3-server
          resources:
            vcpus: 1
            memoryMiB: {BackendRegistry.ProfileOf(technology).Bench.MemoryMiB}
            pids: 64
          network:
            ports: [5201]
        """);
}

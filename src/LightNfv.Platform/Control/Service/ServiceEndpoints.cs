using System.Globalization;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;
using LightNfv.Platform.Store;

namespace LightNfv.Platform.Control.Service;

/// <summary>What a VNF's service address is to its clients: "ip:port" per port of its descriptor (the ip alone without ports).</summary>
public static class ServiceEndpoints
{
    /// <summary>Null while the VNF has no service address yet.</summary>
    public static IReadOnlyList<string>? Of(PlatformStore store, Deployment d)
    {
        if (new ServiceAddressBook(store).Get(d.Tenant, d.Name) is not { } address)
        {
            return null;
        }
        IReadOnlyList<int> ports;
        try
        {
            var spec = store.Descriptor(d.Tenant, d.Name, d.Version) is { } v ? DescriptorParser.Parse(v.Source).Spec : null;
            ports = spec is null ? [] : spec.Network.Ports.Count > 0 ? spec.Network.Ports : spec.Health?.TcpPort is { } p ? [p] : [];
        }
        catch (LightNfvException)
        {
            ports = [];
        }
        return ports.Count == 0 ? [address.ToString()] : [.. ports.Select(p => $"{address}:{p.ToString(CultureInfo.InvariantCulture)}")];
    }
}

namespace LightNfv.Server.Tests;

/// <summary>The tenancy tests' descriptor: an iperf3 process VNF in a tenant, with extra spec lines when given.</summary>
public static class TenantDescriptors
{
    public static string Yaml(string name, string tenant, string extraSpec = "") => $"""
        apiVersion: lightnfv/v1
        kind: Vnf
        metadata:
          name: {name}
          tenant: {tenant}
        spec:
          technology: process
          app:
            builtin: iperf3-server
        {extraSpec}
        """;
}

namespace LightNfv.Core.Tests.Descriptors;

/// <summary>The descriptor the field tests vary: a process VNF named web running the builtin iperf3 server.</summary>
internal static class WebDescriptor
{
    /// <summary>The descriptor with <paramref name="specTail"/> (lines indented as under spec:) at the end of its spec.</summary>
    public static string With(string specTail) => $"""
        apiVersion: lightnfv/v1
        kind: Vnf
        metadata:
          name: web
        spec:
          technology: process
          app:
            builtin: iperf3-server
        {specTail}
        """;
}

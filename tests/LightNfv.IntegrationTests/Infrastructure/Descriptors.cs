using System.Net;
using System.Text;

namespace LightNfv.IntegrationTests.Infrastructure;

/// <summary>Descriptor YAML for the tests, in the shape of examples/*.yaml.</summary>
public static class Descriptors
{
    public static string Iperf3(string name = "iperf3", IPAddress? address = null, int memoryMiB = 64, int pids = 64) => $"""
        apiVersion: lightnfv/v1
        kind: Vnf
        metadata:
          name: {name}
        spec:
          technology: process
          app:
            builtin: iperf3-server
          resources:
            vcpus: 1
            memoryMiB: {memoryMiB}
            pids: {pids}
          network:
        {(address is null ? "" : $"    address: {address}\n")}    ports: [5201]
        """;

    public static string Command(string name, IReadOnlyList<string> argv, int memoryMiB = 64, int pids = 64, string caps = "") => $"""
        apiVersion: lightnfv/v1
        kind: Vnf
        metadata:
          name: {name}
        spec:
          technology: process
          app:
            command: [{string.Join(", ", argv.Select(Quote))}]{(caps.Length > 0 ? $"\n    capabilities: [{caps}]" : "")}
          resources:
            vcpus: 1
            memoryMiB: {memoryMiB}
            pids: {pids}
        """;

    /// <summary>The app lines of an iperf3 built-in VNF, for <see cref="Image"/>.</summary>
    public const string Iperf3App = "    builtin: iperf3-server";

    /// <summary>The app lines of a busybox shell script, for <see cref="Image"/>.</summary>
    public static string Shell(string script) => $"    command: [busybox, sh, -c, {Quote(script)}]";

    /// <summary>A VNF for the image-based backends (container, docker): technology, optional runtime, app lines, declared capabilities.</summary>
    public static string Image(string technology, string name, string app, string? runtime = null, int memoryMiB = 64, string caps = "") => $"""
        apiVersion: lightnfv/v1
        kind: Vnf
        metadata:
          name: {name}
        spec:
          technology: {technology}{(runtime is null ? "" : $"\n  runtime: {runtime}")}
          app:
        {app}{(caps.Length > 0 ? $"\n    capabilities: [{caps}]" : "")}
          resources:
            vcpus: 1
            memoryMiB: {memoryMiB}
            pids: 64
          network:
            ports: [5201]
        """;

    /// <summary>A YAML double-quoted scalar.</summary>
    public static string Quote(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in s)
        {
            sb.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                _ => c.ToString(),
            });
        }
        return sb.Append('"').ToString();
    }
}

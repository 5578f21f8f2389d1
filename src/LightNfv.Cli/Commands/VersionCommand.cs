using System.CommandLine;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;
using LightNfv.Core.Errors;

namespace LightNfv.Cli.Commands;

/// <summary>
/// `lightnfv version`: the client's version (the assembly's informational version, which carries the git commit when
/// the build stamps it), the .NET runtime, the OS and kernel, and the daemon's version, pid and start when one answers.
/// </summary>
public static class VersionCommand
{
    public static Command Create()
    {
        var output = Output.OutputFormat.Create(Output.OutputFormat.JsonFormat, Output.OutputFormat.Yaml);
        var cmd = new Command("version", "Show the client's and the daemon's versions") { output };
        cmd.SetAction(async (pr, ct) =>
        {
            var format = pr.GetValue(output);
            var client = new SortedDictionary<string, string>(StringComparer.Ordinal)
            {
                ["version"] = typeof(VersionCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown",
                ["runtime"] = RuntimeInformation.FrameworkDescription,
                ["os"] = RuntimeInformation.OSDescription,
                ["arch"] = RuntimeInformation.OSArchitecture.ToString(),
                ["kernel"] = Kernel(),
            };
            var info = new SortedDictionary<string, object>(StringComparer.Ordinal) { ["client"] = client };
            if (await DaemonAsync(ct).ConfigureAwait(false) is { } daemon)
            {
                info["daemon"] = daemon;
            }
            if (!Output.OutputFormat.TryPrint(format, Json.Element(info)))
            {
                Console.WriteLine($"Client: {client["version"]} ({client["runtime"]}, {client["os"]}, kernel {client["kernel"]}, {client["arch"]})");
                Console.WriteLine(info.TryGetValue("daemon", out var d) && d is IDictionary<string, string> dd
                    ? $"Daemon: {string.Join(", ", dd.Select(kv => $"{kv.Key} {kv.Value}"))}"
                    : $"Daemon: none answers on {DaemonClient.SocketPath}");
            }
            return 0;
        });
        return cmd;
    }

    /// <summary>The kernel release as uname -r says it (Environment.OSVersion drops its suffix).</summary>
    private static string Kernel()
    {
        try
        {
            return File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        }
        catch (IOException)
        {
            return Environment.OSVersion.Version.ToString();
        }
    }

    /// <summary>The daemon's version, pid and start from GET /api/v1/status, or null when none answers.</summary>
    private static async Task<SortedDictionary<string, string>?> DaemonAsync(CancellationToken ct)
    {
        using var daemon = DaemonClient.TryConnect();
        if (daemon is null)
        {
            return null;
        }
        try
        {
            var status = await daemon.SendAsync(HttpMethod.Get, "/api/v1/status", ct: ct).ConfigureAwait(false);
            var result = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["socket"] = daemon.Socket };
            foreach (var field in new[] { "version", "pid", "startedAt" })
            {
                if (status.ValueKind == JsonValueKind.Object && status.TryGetProperty(field, out var v))
                {
                    result[field] = v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText();
                }
            }
            return result;
        }
        catch (LightNfvException e)
        {
            return new SortedDictionary<string, string>(StringComparer.Ordinal) { ["socket"] = daemon.Socket, ["error"] = e.Message };
        }
    }
}

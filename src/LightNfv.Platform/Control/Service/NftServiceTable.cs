using System.Globalization;
using System.Text;
using LightNfv.Backends.Shared;
using LightNfv.Host.Namespaces;
using LightNfv.Host.Network;

namespace LightNfv.Platform.Control.Service;

/// <summary>
/// Service addresses as nftables DNAT inside the lab namespace (never the host's): table ip lightnfv_svc, whose nat
/// output chain sends each new connection to a service address to the next replica of its set (numgen inc, round
/// robin). The kernel does the forwarding, so the data path does not depend on the daemon (it keeps working while the
/// daemon restarts, like the replicas) and conntrack pins each connection to the replica it started on: taking a replica
/// out of the set never cuts a connection already made. A service with no replica answers new connections with a RST
/// (reject in a filter chain) instead of a 3 s ARP timeout. Each change rewrites the whole table in one nft transaction
/// (add, delete, define), so no packet ever sees half a table; the lab namespace's removal (`down`) takes it along.
/// </summary>
public sealed class NftServiceTable(BackendContext host) : IServiceTable
{
    public const string Table = "lightnfv_svc";
    private string? _applied;

    /// <summary>A lab handshake takes microseconds; half a second also covers a SYN retransmitted once by a busy client.</summary>
    public TimeSpan DrainDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    public void Apply(IReadOnlyList<ServiceBackends> services)
    {
        var text = Render(services);
        if (text == _applied)
        {
            return;
        }
        if (services.Count == 0 && _applied is null && !NetNamespace.Exists(host.Options.LabNamespace))
        {
            _applied = text; // no lab, so no table to remove
            return;
        }
        _ = host.Lab; // the lab namespace exists before its table is written
        Run(text);
        _applied = text;
    }

    /// <summary>The nft script that makes the table say <paramref name="services"/>: add (so the delete never fails), delete, define.</summary>
    public static string Render(IReadOnlyList<ServiceBackends> services)
    {
        var s = new StringBuilder();
        s.Append("table ip ").Append(Table).Append('\n');
        s.Append("delete table ip ").Append(Table).Append('\n');
        if (services.Count == 0)
        {
            return s.ToString();
        }
        s.Append("table ip ").Append(Table).Append(" {\n");
        s.Append("  set services { type ipv4_addr; elements = { ")
            .AppendJoin(", ", services.Select(v => v.Address.ToString())).Append(" } }\n");
        s.Append("  chain nat_out {\n    type nat hook output priority -100; policy accept;\n");
        foreach (var v in services.Where(v => v.Backends.Count > 0))
        {
            s.Append("    ip daddr ").Append(v.Address).Append(" dnat to numgen inc mod ")
                .Append(v.Backends.Count.ToString(CultureInfo.InvariantCulture)).Append(" map { ")
                .AppendJoin(", ", v.Backends.Select((b, i) => $"{i.ToString(CultureInfo.InvariantCulture)} : {b}"))
                .Append(" } comment \"").Append(v.Vnf).Append("\"\n");
        }
        s.Append("  }\n");
        // After the nat chain (priority 0 > -100): only connections to a service that no replica took get here.
        s.Append("  chain reject_out {\n    type filter hook output priority 0; policy accept;\n");
        s.Append("    ip daddr @services meta l4proto tcp reject with tcp reset\n");
        s.Append("    ip daddr @services reject\n  }\n}\n");
        return s.ToString();
    }

    /// <summary>Whether nft is installed (the Debian package nftables; install.sh installs it).</summary>
    public static bool Available => NftScript.Available;

    private void Run(string script) => NftScript.Apply(host.Options.LabNamespace, script, "the service table", "service addresses need");
}

using LightNfv.Core.Errors;

namespace LightNfv.Host.Network;

/// <summary>
/// Per-instance bandwidth: a token bucket on the instance's lab-side port (its veth end or its tap), so it holds for
/// every technology alike and the VNF cannot lift it from inside. The port's egress is the traffic towards the instance;
/// the instance's own sending is not shaped here (that would need an ingress policer).
/// </summary>
public sealed partial class LabNetwork
{
    /// <summary>
    /// The bucket's depth: at least 64 KiB (one GSO segment, so the kernel need not split every packet) or 4 ms at the
    /// rate, whichever is larger. A burst that small keeps a 2 s measurement within a few per cent of the rate.
    /// </summary>
    public static uint BurstBytes(ulong bytesPerSecond) => (uint)Math.Min(uint.MaxValue / 2, Math.Max(64 * 1024, bytesPerSecond / 250));

    /// <summary>
    /// Limits what the lab sends to the instance through <paramref name="hostLinkName"/> to <paramref name="mbps"/> Mbit/s
    /// (replacing a limit set before), or removes the limit when null. Microseconds over netlink; the link must exist.
    /// </summary>
    public void SetPortBandwidth(string hostLinkName, int? mbps)
    {
        lock (_gate)
        {
            var index = _netlink.IndexOf(hostLinkName);
            if (index <= 0)
            {
                throw new LightNfvException(ErrorKind.Host,
                    $"the instance's lab port {hostLinkName} is not in lab {Name}: the instance is not running or was cut off; start it before setting spec.resources.bandwidthMbps");
            }
            if (mbps is not { } rate)
            {
                _netlink.ClearRateLimit(index);
                return;
            }
            var bytesPerSecond = (ulong)rate * 1_000_000 / 8;
            var burst = BurstBytes(bytesPerSecond);
            // A queue of 50 ms at the rate beyond the burst: longer would only add latency, shorter drops bursts TCP can absorb.
            var limit = (uint)Math.Min(uint.MaxValue / 2, burst + bytesPerSecond / 20);
            _netlink.SetRateLimit(index, bytesPerSecond, burst, limit);
        }
    }

    /// <summary>The kind of the port's root qdisc ("tbf" when limited), or null when the port is gone: for tests and inspect.</summary>
    public string? PortQdisc(string hostLinkName)
    {
        lock (_gate)
        {
            var index = _netlink.IndexOf(hostLinkName);
            return index > 0 ? _netlink.RootQdiscKind(index) : null;
        }
    }
}

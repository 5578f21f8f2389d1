using System.Globalization;
using System.Text;
using LightNfv.Core.Instances;
using LightNfv.Core.Tenants;
using LightNfv.Platform.Alerts;
using LightNfv.Platform.Control;
using LightNfv.Platform.Monitoring;
using LightNfv.Platform.Store;

namespace LightNfv.Server.Api;

/// <summary>GET /metrics in the Prometheus text exposition format (0.0.4), written with the BCL.</summary>
public static class MetricsApi
{
    public static void Map(WebApplication app) =>
        app.MapGet("/metrics", (PlatformStore store, InstanceMonitor monitor, Reconciler reconciler, WebhookDispatcher webhooks) =>
            Results.Text(Render(store, monitor, reconciler, webhooks), "text/plain; version=0.0.4; charset=utf-8"))
            .Produces<string>(StatusCodes.Status200OK, "text/plain").WithTags("metrics");

    public static string Render(PlatformStore store, InstanceMonitor monitor, Reconciler reconciler, WebhookDispatcher webhooks)
    {
        var sb = new StringBuilder();
        var records = store.List();
        Header(sb, "lightnfv_instances", "gauge", "Instances by state.");
        foreach (var g in records.GroupBy(r => r.State))
        {
            sb.Append("lightnfv_instances{state=\"").Append(g.Key.ToString().ToLowerInvariant()).Append("\"} ").Append(g.Count()).Append('\n');
        }
        Header(sb, "lightnfv_vnf_replicas_desired", "gauge", "Desired replicas per VNF.");
        foreach (var d in store.Deployments())
        {
            sb.Append("lightnfv_vnf_replicas_desired{tenant=\"").Append(Escape(d.Tenant)).Append("\",vnf=\"").Append(Escape(d.Name)).Append("\"} ").Append(d.Replicas).Append('\n');
        }
        var samples = records.Where(r => r.State == InstanceState.Running).Select(r => (r, s: monitor.Latest(r.Id))).Where(x => x.s is not null).ToList();
        void Metric(string name, string type, string help, Func<MetricSample, double> value)
        {
            Header(sb, name, type, help);
            foreach (var (r, s) in samples)
            {
                sb.Append(name).Append("{id=\"").Append(r.Id).Append("\",name=\"").Append(Escape(r.Name)).Append("\",vnf=\"").Append(Escape(r.Deployment ?? ""))
                  .Append("\",technology=\"").Append(r.Technology.ToString().ToLowerInvariant()).Append("\"} ")
                  .Append(value(s!).ToString("R", CultureInfo.InvariantCulture)).Append('\n');
            }
        }
        Metric("lightnfv_instance_cpu_seconds_total", "counter", "CPU time used by the instance.", s => s.Stats.CpuNanoseconds / 1e9);
        Metric("lightnfv_instance_cpu_percent", "gauge", "CPU use over the last sampling interval, percent of the instance's vCPUs.", s => s.CpuPercent);
        Metric("lightnfv_instance_memory_bytes", "gauge", "Memory the host accounts to the instance.", s => s.Stats.MemoryBytes);
        Metric("lightnfv_instance_network_receive_bytes_total", "counter", "Bytes the instance received.", s => s.Stats.RxBytes);
        Metric("lightnfv_instance_network_transmit_bytes_total", "counter", "Bytes the instance sent.", s => s.Stats.TxBytes);
        Metric("lightnfv_instance_network_receive_packets_total", "counter", "Packets the instance received.", s => s.Stats.RxPackets);
        Metric("lightnfv_instance_network_transmit_packets_total", "counter", "Packets the instance sent.", s => s.Stats.TxPackets);
        Metric("lightnfv_instance_spoofed_frames_dropped_total", "counter",
            "Frames the instance sent with another MAC, IPv4 source or ARP sender than its own, dropped at its port.", s => s.Stats.SpoofedFramesDropped ?? 0);
        // Per tenant: each limit set (an unlimited resource has no quota series) and the use of every resource.
        Header(sb, "lightnfv_tenant_quota", "gauge", "A tenant's quota limit per resource (absent: unlimited).");
        var tenants = store.Tenants();
        foreach (var t in tenants)
        {
            foreach (var (resource, limit) in t.Quota.Limits())
            {
                if (limit is { } max)
                {
                    sb.Append("lightnfv_tenant_quota{tenant=\"").Append(Escape(t.Name)).Append("\",resource=\"").Append(resource).Append("\"} ").Append(max).Append('\n');
                }
            }
        }
        Header(sb, "lightnfv_tenant_usage", "gauge", "What a tenant uses per resource (instances and their declared vCPUs, memory MiB, pids; VNFs).");
        foreach (var t in tenants)
        {
            var usage = store.Usage(t.Name);
            foreach (var resource in TenantResources.All)
            {
                sb.Append("lightnfv_tenant_usage{tenant=\"").Append(Escape(t.Name)).Append("\",resource=\"").Append(resource).Append("\"} ").Append(usage.Of(resource)).Append('\n');
            }
        }
        Header(sb, "lightnfv_heals_total", "counter", "Heals done since the daemon started.");
        sb.Append("lightnfv_heals_total ").Append(reconciler.HealCount).Append('\n');
        Header(sb, "lightnfv_webhook_deliveries_total", "counter", "Webhook notifications delivered.");
        sb.Append("lightnfv_webhook_deliveries_total ").Append(webhooks.Delivered).Append('\n');
        Header(sb, "lightnfv_watched_processes", "gauge", "Instance processes watched through pidfds.");
        sb.Append("lightnfv_watched_processes ").Append(reconciler.Watched).Append('\n');
        return sb.ToString();
    }

    private static void Header(StringBuilder sb, string name, string type, string help) =>
        sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append("\n# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    private static string Escape(string s) => s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}

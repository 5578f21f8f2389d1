using System.CommandLine;
using LightNfv.Platform.Lifecycle;

namespace LightNfv.Cli.Commands;

/// <summary>`lightnfv resize ID --vcpus N --memory MiB --pids N --bandwidth Mbps --cpuset LIST`: a live resize, as `docker update`.</summary>
public static class ResizeCommand
{
    public static Command Create()
    {
        var id = new Argument<string>("instance") { Description = "Instance id, id prefix or name" };
        var vcpus = new Option<int?>("--vcpus") { Description = "CPU quota in vCPUs" };
        var memory = new Option<int?>("--memory", "-m") { Description = "Memory limit in MiB (no swap beyond it)" };
        var pids = new Option<int?>("--pids") { Description = "Most processes and threads" };
        var bandwidth = new Option<int?>("--bandwidth") { Description = "Mbit/s towards the instance on its lab port; 0 removes the limit" };
        var cpuset = new Option<string?>("--cpuset") { Description = "CPUs to pin to, e.g. 0-1; \"\" unpins" };
        var cmd = new Command("resize", "Change a running instance's limits in place, without a restart (quota-checked, kept across restarts)")
        {
            id, vcpus, memory, pids, bandwidth, cpuset,
        };
        cmd.SetAction((pr, ct) => Cli.OnPlatform(async (platform, token) =>
        {
            var change = new ResourceChange(pr.GetValue(vcpus), pr.GetValue(memory), pr.GetValue(pids), pr.GetValue(bandwidth), pr.GetValue(cpuset));
            var r = await platform.ResizeAsync(pr.GetValue(id)!, change, token).ConfigureAwait(false);
            Console.WriteLine(Json.Text(r, "id"));
            return 0;
        }, ct));
        return cmd;
    }
}

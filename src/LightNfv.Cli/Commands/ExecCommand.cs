using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using LightNfv.Core.Errors;

namespace LightNfv.Cli.Commands;

/// <summary>
/// `lightnfv exec INSTANCE -- CMD [ARGS...]`: runs a command inside a process or container instance's namespaces
/// (network, mount and root, pid, uts, ipc, cgroup), like docker exec. The platform (daemon or embedded) says which
/// process is the instance's; the command runs from this CLI with the caller's terminal, through util-linux nsenter:
/// a multithreaded .NET process cannot setns into a mount or pid namespace itself.
/// </summary>
public static class ExecCommand
{
    public static Command Create()
    {
        var id = new Argument<string>("instance") { Description = "Instance id, id prefix or name" };
        var command = new Argument<string[]>("command") { Description = "The command and its arguments (after --)", Arity = ArgumentArity.OneOrMore };
        var cmd = new Command("exec", "Run a command inside a running process or container instance's namespaces; exits with its exit code") { id, command };
        cmd.SetAction((pr, ct) => Cli.OnPlatform(async (platform, token) =>
        {
            var reference = pr.GetValue(id)!;
            var instance = await platform.InspectAsync(reference, token).ConfigureAwait(false);
            var technology = Json.Text(instance, "technology");
            if (technology is not ("process" or "container" or "docker"))
            {
                throw new LightNfvException(ErrorKind.State,
                    $"instance: '{reference}' is a {technology} instance; exec needs a process or container instance (a VM's output is in 'lightnfv logs {reference}')");
            }
            if (Json.Text(instance, "state") != "running" || !instance.TryGetProperty("pid", out var p))
            {
                throw new LightNfvException(ErrorKind.State, $"instance: '{reference}' is {Json.Text(instance, "state")}; 'lightnfv start {reference}' first");
            }
            var psi = new ProcessStartInfo("nsenter") { UseShellExecute = false };
            // --all: every namespace the target has that differs from ours; -r/-w: its root and working directory.
            foreach (var a in (string[])["-t", p.GetInt32().ToString(CultureInfo.InvariantCulture), "--all", "-r", "-w", "--"])
            {
                psi.ArgumentList.Add(a);
            }
            foreach (var a in pr.GetValue(command)!)
            {
                psi.ArgumentList.Add(a);
            }
            using var child = Host.Processes.HostProcess.Start(psi);
            try
            {
                await child.WaitForExitAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Ctrl-C reaches the command through the terminal; wait for it to end rather than leave it behind.
                await child.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }
            return child.ExitCode;
        }, ct));
        return cmd;
    }
}
